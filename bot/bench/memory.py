"""Resident memory (RSS) of the stack's processes, read from /proc.

A process counts with its descendants, so a server that forks workers is
measured whole. Pids are looked up again at every reading: the stack restarts
a crashed process under a new pid, and a leak figure across a restart would
mean nothing, so snapshots keep the pids they saw.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROC = Path("/proc")
PidSource = Callable[[], dict[str, list[int]]]
"""Current pids per process name (e.g. from pid files)."""


def pid_files(run_dir: Path) -> PidSource:
    """Pids from `<name>.pid` files, as `python -m bot run` writes them under DATA_DIR/run."""

    def read() -> dict[str, list[int]]:
        pids: dict[str, list[int]] = {}
        for file in sorted(run_dir.glob("*.pid")):
            with contextlib.suppress(OSError, ValueError):
                pids[file.stem] = [int(file.read_text().strip())]
        return pids

    return read


def fixed_pids(pids: dict[str, list[int]]) -> PidSource:
    """Pids given once (BENCH_PIDS)."""
    return lambda: {name: list(values) for name, values in pids.items()}


def rss_bytes(pid: int, proc: Path = PROC) -> int | None:
    """VmRSS of one process, or None when it is gone (or a kernel thread)."""
    try:
        for line in (proc / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def children_map(proc: Path = PROC) -> dict[int, list[int]]:
    """Parent pid -> child pids of every process now running."""
    children: dict[int, list[int]] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (field 2) may contain spaces and parentheses; ppid follows its ")".
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and fields[1].isdigit():
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def with_descendants(pid: int, children: dict[int, list[int]]) -> list[int]:
    """The process and everything it started, in depth-first order."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.append(current)
        stack.extend(children.get(current, []))
    return found


@dataclass(frozen=True)
class ProcessMemory:
    pids: list[int]
    """The named processes themselves (not their descendants)."""
    rss_bytes: int | None
    """RSS summed over the processes and their descendants; None when none was readable."""
    processes: int = 1
    """How many processes the sum covers (forked workers show up here)."""


@dataclass(frozen=True)
class Snapshot:
    label: str
    at: str
    processes: dict[str, ProcessMemory]

    @property
    def total_bytes(self) -> int | None:
        values = [p.rss_bytes for p in self.processes.values() if p.rss_bytes is not None]
        return sum(values) if values else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "at": self.at,
            "total_bytes": self.total_bytes,
            "processes": {
                name: {"pids": p.pids, "rss_bytes": p.rss_bytes, "processes": p.processes}
                for name, p in self.processes.items()
            },
        }


def families(source: PidSource, proc: Path = PROC) -> dict[str, tuple[list[int], list[int]]]:
    """Name -> (the named pids, them and everything they started), as running now."""
    children = children_map(proc)
    return {
        name: (list(pids), [pid for top in pids for pid in with_descendants(top, children)])
        for name, pids in source().items()
    }


def snapshot(label: str, source: PidSource, proc: Path = PROC) -> Snapshot:
    """RSS of every named process (with descendants) right now."""
    processes: dict[str, ProcessMemory] = {}
    for name, (pids, family) in families(source, proc).items():
        readings = [rss_bytes(pid, proc) for pid in family]
        known = [value for value in readings if value is not None]
        processes[name] = ProcessMemory(list(pids), sum(known) if known else None, len(known))
    return Snapshot(
        label, dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), processes
    )


def growth(before: Snapshot, after: Snapshot) -> dict[str, float | None]:
    """RSS growth in % per process; None when unreadable or the process was restarted."""
    result: dict[str, float | None] = {}
    for name, first in before.processes.items():
        last = after.processes.get(name)
        if (
            last is None
            or first.rss_bytes is None
            or last.rss_bytes is None
            or first.pids != last.pids
            or first.rss_bytes == 0
        ):
            result[name] = None
        else:
            result[name] = round((last.rss_bytes - first.rss_bytes) / first.rss_bytes * 100, 2)
    return result


def restarted(before: Snapshot, after: Snapshot) -> list[str]:
    """Names whose pids changed between the two snapshots (a crash and restart)."""
    return [
        name
        for name, first in before.processes.items()
        if name in after.processes and after.processes[name].pids != first.pids
    ]


@dataclass
class PeakMonitor:
    """Samples RSS in the background so short peaks between snapshots are seen too."""

    source: PidSource
    interval: float = 2.0
    peak_total_bytes: int = 0
    peak_bytes: dict[str, int] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None

    def observe(self, shot: Snapshot) -> None:
        self.peak_total_bytes = max(self.peak_total_bytes, shot.total_bytes or 0)
        for name, process in shot.processes.items():
            if process.rss_bytes is not None:
                self.peak_bytes[name] = max(self.peak_bytes.get(name, 0), process.rss_bytes)

    async def _run(self) -> None:
        while True:
            self.observe(await asyncio.to_thread(snapshot, "peak", self.source))
            await asyncio.sleep(self.interval)

    @contextlib.contextmanager
    def running(self) -> Iterator[PeakMonitor]:
        """Sample while the block runs (inside an event loop)."""
        self._task = asyncio.get_running_loop().create_task(self._run())
        try:
            yield self
        finally:
            self._task.cancel()
