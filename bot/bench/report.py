"""Writes a run's numbers as report.json and a readable summary.md (reports/bench/, git-ignored).

Each run also keeps a copy of its JSON under history/, so a later run (e.g. the
production topology) can be compared with an earlier one on the same machine.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SLOW_KEYS = ("message", "latency_ms", "at_s")
STATUS_MARK = {"met": "met ✅", "missed": "MISSED ❌", "not measured": "not measured"}


def write(result: dict[str, Any], directory: Path) -> str:
    """Write report.json, summary.md and history/<start>.json; return the summary."""
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    (directory / "report.json").write_text(text, encoding="utf-8")
    history = directory / "history"
    history.mkdir(exist_ok=True)
    stamp = str(result["started_at"]).replace(":", "").replace("+0000", "Z")
    (history / f"{stamp}-{result['run_id']}.json").write_text(text, encoding="utf-8")
    summary = render(result)
    (directory / "summary.md").write_text(summary, encoding="utf-8")
    return summary


def _num(value: Any, digits: int = 0, unit: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}{unit}"


def _ratio(value: Any) -> str:
    return "–" if value is None else f"{value:.2f}×"


def _mb(value: Any) -> str:
    return "–" if value is None else f"{value / 1e6:,.0f}"


def _errors(summary: dict[str, Any]) -> str:
    errors: dict[str, int] = summary["errors"]
    if not errors:
        return "0"
    return f"{sum(errors.values())} (" + ", ".join(f"{k} {v}" for k, v in errors.items()) + ")"


def _row(label: str, path: str, s: dict[str, Any]) -> str:
    return (
        f"| {label} | {path} | {s['messages']} | {_errors(s)} | {_num(s['throughput'], 1)} | "
        f"{_num(s['p50_ms'])} | {_num(s['p95_ms'])} | {_num(s['p99_ms'])} |"
    )


def _ratio_row(label: str, ratios: dict[str, Any]) -> str:
    return (
        f"| {label} | **gateway / Rasa** | | | {_ratio(ratios['throughput'])} | "
        f"{_ratio(ratios['p50'])} | {_ratio(ratios['p95'])} | {_ratio(ratios['p99'])} |"
    )


def _machine(result: dict[str, Any]) -> list[str]:
    m = result["machine"]
    memory = m.get("memory_total_bytes")
    load = m.get("load_average_at_start") or []
    end = m.get("load_average_at_end") or []
    return [
        f"- Machine: {m.get('cpu_count')} × {m.get('cpu_model') or 'unknown CPU'}, "
        f"{_num(memory / 2**30 if memory else None, 1)} GiB RAM; {m.get('platform')}, "
        f"Python {m.get('python')}, commit {m.get('commit')}",
        f"- Load average (1/5/15 min) at start {load}, at end {end}: other work on the "
        "machine (e.g. a model training) makes every figure noisy; read them as ratios.",
        f"- Mode: {result['mode']} ({', '.join(result['urls']['gateway'])} vs "
        f"{', '.join(result['urls']['rasa'])}); Rasa: {result.get('rasa_status') or 'unknown'}",
        f"- Run {result['run_id']} started {result['started_at']}, took "
        f"{result['duration_s']:.0f} s",
    ]


def render(result: dict[str, Any]) -> str:
    """The Markdown summary: targets first, then latency/throughput, channels and memory."""
    lines = ["# Load benchmark: gateway vs bare Rasa", "", *_machine(result), "", "## Targets", ""]
    lines += ["| target | measured | status |", "|---|---|---|"]
    for t in result["targets"]:
        lines.append(f"| {t['goal']} | {t['measured']} | {STATUS_MARK[t['status']]} |")
    lines += [f"\nNote: {note}" for note in result.get("notes", [])]
    paced = result["paced"]
    lines += [
        "",
        "## Latency and throughput",
        "",
        f"Paced: {paced['users']} conversations, one message every {paced['interval_s']:g} s "
        f"each, starts staggered ({paced['offered_rate']:g} msg/s offered). Saturation: N "
        "conversations sending back to back. Latency over answered messages only; errors are "
        "non-200, timeouts, transport errors, empty replies and the gateway's apology.",
        "",
        "| mode | path | messages | errors | msg/s | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|---|---|",
        _row("paced", "gateway", paced["gateway"]),
        _row("paced", "Rasa", paced["rasa"]),
        _ratio_row("paced", paced["ratios"]),
    ]
    for level, pair in result["saturation"].items():
        label = f"saturation {level}"
        lines += [
            _row(label, "gateway", pair["gateway"]),
            _row(label, "Rasa", pair["rasa"]),
            _ratio_row(label, pair["ratios"]),
        ]
    late = paced["gateway"]["late"] + paced["rasa"]["late"]
    if late:
        lines += ["", f"{late} paced message(s) went out late because a reply took > the interval."]
    lines += ["", *_parts(result), "", *_cpu(result), "", *_channels(result), "", *_memory(result)]
    return "\n".join(lines) + "\n"


def _modes(result: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    pairs = [("paced", result["paced"])]
    pairs += [(f"saturation {level}", pair) for level, pair in result["saturation"].items()]
    return pairs


def _parts(result: dict[str, Any]) -> list[str]:
    """Where the gateway's latency went, from its Server-Timing header."""
    lines = [
        "## Where the gateway's time went",
        "",
        "From the gateway's Server-Timing header: the assistant's (Rasa's) time, the "
        "gateway's own (conversation turn, storing, saving) and what lies outside its "
        "handler (HTTP, waiting for its event loop). Percentiles are per part; the last "
        "column is each part's mean over the slowest 5 % of messages.",
        "",
        "| mode | part | p50 ms | p95 ms | p99 ms | slowest 5 % ms |",
        "|---|---|---|---|---|---|",
    ]
    for label, pair in _modes(result):
        for part, values in (pair["gateway"].get("parts_ms") or {}).items():
            lines.append(
                f"| {label} | {part} | {_num(values['p50'], 1)} | {_num(values['p95'], 1)} | "
                f"{_num(values['p99'], 1)} | {_num(values['tail'], 1)} |"
            )
    lines += [
        "",
        "Slowest paced messages (seconds after the mode's first message; parts in ms):",
        "",
        "| path | message | ms | at s | parts |",
        "|---|---|---|---|---|",
    ]
    for path in ("gateway", "rasa"):
        for slow in result["paced"][path].get("slowest", []):
            parts = ", ".join(f"{k} {v:.0f}" for k, v in slow.items() if k not in SLOW_KEYS)
            lines.append(
                f"| {path} | {slow['message']} | {slow['latency_ms']:.0f} | {slow['at_s']:.1f} | "
                f"{parts or '–'} |"
            )
    return lines


def _cpu(result: dict[str, Any]) -> list[str]:
    """CPU per answered message by process, and the throughput the machine could reach."""
    rows = [
        (label, path, pair[path]["cpu"])
        for label, pair in _modes(result)
        for path in ("gateway", "rasa")
        if pair[path].get("cpu")
    ]
    lines = ["## CPU per answered message (ms)", ""]
    if not rows:
        return [*lines, "Not measured."]
    names = list(dict.fromkeys(name for _, _, c in rows for name in c["processes_ms"]))
    cores = result["machine"].get("cpu_count") or 1
    lines += [
        "CPU time each process (with its children) spent during the mode's rounds, divided "
        "by the messages answered; `other` is the rest of the machine's busy time (PostgreSQL, "
        "Redis, nginx unless listed, the kernel). The ceiling is what the machine's "
        f"{cores} cores could answer at that cost per message, if nothing waited.",
        "",
        "| mode | path | " + " | ".join(names) + " | other | all | machine busy | ceiling msg/s |",
        "|---" * (len(names) + 6) + "|",
    ]
    for label, path, c in rows:
        cells = [_num(c["processes_ms"].get(name), 1) for name in names]
        ceiling = cores * 1000 / c["busy_ms"] if c["busy_ms"] else None
        lines.append(
            f"| {label} | {path} | " + " | ".join(cells) + f" | {_num(c['other_ms'], 1)} | "
            f"{_num(c['busy_ms'], 1)} | {_num(c['machine_busy_percent'], 0, ' %')} | "
            f"{_num(ceiling, 1)} |"
        )
    return lines


def _channels(result: dict[str, Any]) -> list[str]:
    channels = result["channels"]
    lines = ["## Webhook acknowledgement (Telegram, WhatsApp/Twilio)", ""]
    if not channels["measured"]:
        lines.append(
            "Not measured: needs the embedded stack, whose Telegram and Twilio settings point "
            "at the fake providers (tests/fakes/); BENCH_CHANNEL_SECONDS=0 skips it."
        )
        return lines
    lines += [
        "| channel | updates | errors | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ("telegram", "twilio"):
        s = channels.get(name)
        if s:
            lines.append(
                f"| {name} | {s['messages']} | {_errors(s)} | {_num(s['p50_ms'])} | "
                f"{_num(s['p95_ms'])} | {_num(s['p99_ms'])} | {_num(s['max_ms'])} |"
            )
    lines += [
        "",
        f"Replies delivered to the fake providers afterwards: {channels.get('delivered')}. "
        "The Telegram acknowledgement includes the gateway's sendChatAction (typing) call, "
        "here to a local fake; against api.telegram.org add that round trip.",
    ]
    return lines


def _memory(result: dict[str, Any]) -> list[str]:
    mem, leak = result["memory"], result["leak"]
    lines = ["## Memory (RSS in MB, process with its children)", ""]
    if not mem["measured"]:
        return [*lines, "Not measured: give BENCH_PIDS or BENCH_PID_DIR for a deployment."]
    snapshots = mem["snapshots"]
    names = list(snapshots[0]["processes"]) if snapshots else []
    labels = [s["label"] for s in snapshots]
    lines += [
        "| process | " + " | ".join(labels) + " | peak | long-run growth |",
        "|---" * (len(labels) + 3) + "|",
    ]
    growth = leak.get("growth_percent") or {}
    for name in names:
        cells = [_mb(s["processes"].get(name, {}).get("rss_bytes")) for s in snapshots]
        g = growth.get(name)
        peak = (mem["peak_bytes"] or {}).get(name)
        count = snapshots[-1]["processes"].get(name, {}).get("processes")
        label = f"{name} ({count} processes)" if count and count > 1 else name
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {_mb(peak)} | {_num(g, 1, ' %')} |")
    totals = [_mb(s["total_bytes"]) for s in snapshots]
    lines.append("| **stack** | " + " | ".join(totals) + f" | {_mb(mem['peak_total_bytes'])} | |")
    if leak["summary"]:
        s = leak["summary"]
        lines += [
            "",
            f"Long run: {s['messages']} messages through the gateway, {leak['concurrency']} "
            f"conversations at a time, {_num(s['throughput'], 1)} msg/s, errors {_errors(s)}; "
            "growth compares before_leak with after_leak.",
        ]
    else:
        lines += ["", "Long run skipped (BENCH_LEAK_MESSAGES=0)."]
    if leak.get("restarted"):
        lines.append(f"Restarted during the run (growth not comparable): {leak['restarted']}")
    return lines
