"""Chart geometry for server-side SVG: a line per week and horizontal bars per group.

Only numbers and labels are computed here; the console's Jinja templates write
the SVG (with autoescaping), so the page needs no script and no CDN.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

WIDTH = 640
LINE_HEIGHT = 220
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 48, 16, 14, 34
BAR_ROW = 28
BAR_LABEL_WIDTH = 110
BAR_VALUE_WIDTH = 70
MAX_X_LABELS = 13


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    title: str
    """Tooltip: the group and the value, e.g. `2026-W45: 70 %`."""


@dataclass(frozen=True)
class Series:
    name: str
    css_class: str
    segments: list[list[Point]]
    """Runs of weeks with data; a week without data breaks the line."""

    @property
    def points(self) -> list[Point]:
        return [p for segment in self.segments for p in segment]


@dataclass(frozen=True)
class LineChart:
    title: str
    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    series: list[Series]

    @property
    def empty(self) -> bool:
        return not any(s.segments for s in self.series)


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class BarChart:
    title: str
    width: int
    height: int
    baseline: float
    label_x: float
    plot_top: float
    plot_bottom: float
    value_x: float
    bars: list[Bar]


@dataclass(frozen=True)
class Domain:
    """The value range a chart shows, with its tick step."""

    lowest: float
    highest: float
    step: float

    def ticks(self) -> list[float]:
        count = round((self.highest - self.lowest) / self.step)
        return [self.lowest + i * self.step for i in range(count + 1)]


def line_chart(
    title: str,
    *,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[float | None]]],
    domain: Domain,
    fmt: Callable[[float | None], str],
) -> LineChart:
    """One line per (name, css class, values), values aligned with `x_labels`."""
    left, right = PAD_LEFT, WIDTH - PAD_RIGHT
    top, bottom = PAD_TOP, LINE_HEIGHT - PAD_BOTTOM
    count = len(x_labels)

    def x_at(index: int) -> float:
        if count <= 1:
            return (left + right) / 2
        return left + index * (right - left) / (count - 1)

    def y_at(value: float) -> float:
        clamped = min(max(value, domain.lowest), domain.highest)
        span = domain.highest - domain.lowest
        return bottom - (clamped - domain.lowest) * (bottom - top) / span

    every = max(1, math.ceil(count / MAX_X_LABELS))
    lines = []
    for name, css_class, values in series:
        segments: list[list[Point]] = []
        current: list[Point] = []
        for index, value in enumerate(values):
            if value is None:
                if current:
                    segments.append(current)
                current = []
                continue
            point = Point(
                round(x_at(index), 1), round(y_at(value), 1), f"{x_labels[index]}: {fmt(value)}"
            )
            current.append(point)
        if current:
            segments.append(current)
        lines.append(Series(name, css_class, segments))
    return LineChart(
        title=title,
        width=WIDTH,
        height=LINE_HEIGHT,
        plot_left=left,
        plot_right=right,
        plot_top=top,
        plot_bottom=bottom,
        y_ticks=[Tick(round(y_at(v), 1), fmt(v)) for v in domain.ticks()],
        x_ticks=[
            Tick(round(x_at(i), 1), label)
            for i, label in enumerate(x_labels)
            if i % every == 0 or i == count - 1
        ],
        series=lines,
    )


def bar_chart(
    title: str,
    *,
    rows: Sequence[tuple[str, float | None]],
    domain: Domain,
    fmt: Callable[[float | None], str],
) -> BarChart:
    """Horizontal bars from zero (or the domain's lowest value) for each (label, value)."""
    left, right = BAR_LABEL_WIDTH, WIDTH - BAR_VALUE_WIDTH
    top = PAD_TOP
    span = domain.highest - domain.lowest

    def x_at(value: float) -> float:
        clamped = min(max(value, domain.lowest), domain.highest)
        return left + (clamped - domain.lowest) * (right - left) / span

    base = x_at(0.0 if domain.lowest <= 0 <= domain.highest else domain.lowest)
    bars = []
    for index, (label, value) in enumerate(rows):
        y = top + index * BAR_ROW + 4
        end = base if value is None else x_at(value)
        bars.append(
            Bar(
                label=label,
                value_text=fmt(value),
                x=round(min(base, end), 1),
                y=y,
                width=round(abs(end - base), 1),
                height=BAR_ROW - 8,
            )
        )
    bottom = top + max(len(rows), 1) * BAR_ROW
    return BarChart(
        title=title,
        width=WIDTH,
        height=bottom + PAD_TOP,
        baseline=round(base, 1),
        label_x=left - 8,
        plot_top=top,
        plot_bottom=bottom,
        value_x=right + 8,
        bars=bars,
    )


def nice_domain(values: Sequence[float | None], *, ticks: int = 4) -> Domain:
    """0 up to a round number above the largest value (for waits and counts)."""
    largest = max((v for v in values if v is not None), default=0.0)
    if largest <= 0:
        return Domain(0.0, float(ticks), 1.0)
    raw = largest / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return Domain(0.0, step * ticks, step)
