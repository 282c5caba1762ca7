"""CPU time the stack's processes spent in a measured run, per answered message.

Latency says how long a customer waited; CPU per message says what a message
costs each process, and with the machine's cores, how many messages a second the
machine can answer at all. On two cores, two Rasa servers cannot double one
server's throughput while the gateways, PostgreSQL, nginx and the benchmark's
own client need the same cores: this is the figure that shows it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.bench.memory import PROC, PidSource, families

CLIENT = "bench client"
"""The benchmark's own process, which shares the machine with the stack."""
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def process_seconds(pid: int, proc: Path = PROC) -> float | None:
    """User + system CPU seconds of one process, or None when it is gone."""
    try:
        stat = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    # Fields after the command name's ")": state is 3rd in the file, utime 14th, stime 15th.
    fields = stat.rsplit(")", 1)[-1].split()
    try:
        return (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND
    except (IndexError, ValueError):
        return None


def machine_seconds(proc: Path = PROC) -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, summed over its cores."""
    first = (proc / "stat").read_text().splitlines()[0].split()
    # cpu user nice system idle iowait irq softirq steal (guest time is inside user)
    values = [int(v) for v in first[1:9]]
    idle = values[3] + values[4]
    total = sum(values)
    return (total - idle) / TICKS_PER_SECOND, total / TICKS_PER_SECOND


@dataclass(frozen=True)
class Reading:
    busy: float
    total: float
    processes: dict[str, tuple[tuple[int, ...], float]]
    """Name -> (the named pids, CPU seconds of them and their descendants)."""


def read(source: PidSource | None, proc: Path = PROC) -> Reading:
    """The machine's and each named process's CPU seconds now (and the benchmark's own)."""
    busy, total = machine_seconds(proc)
    processes: dict[str, tuple[tuple[int, ...], float]] = {}
    for name, (pids, family) in (families(source, proc) if source else {}).items():
        known = [s for s in (process_seconds(pid, proc) for pid in family) if s is not None]
        if known:
            processes[name] = (tuple(pids), sum(known))
    # Alone: the embedded stack it starts is its child and is counted under its own names.
    client = process_seconds(os.getpid(), proc)
    if client is not None:
        processes[CLIENT] = ((os.getpid(),), client)
    return Reading(busy, total, processes)


@dataclass
class Usage:
    """CPU seconds spent over one or more measured runs."""

    busy: float = 0.0
    total: float = 0.0
    processes: dict[str, float] = field(default_factory=dict)

    def add(self, before: Reading, after: Reading) -> None:
        """Count what was spent between two readings; a process restarted in between (new
        pid, its CPU counted from zero) is left out of that run rather than counted wrong."""
        spent = {
            name: seconds - earlier[1]
            for name, (pids, seconds) in after.processes.items()
            if (earlier := before.processes.get(name))
            and earlier[0] == pids
            and seconds >= earlier[1]
        }
        self.fold(Usage(after.busy - before.busy, after.total - before.total, spent))

    def fold(self, other: Usage) -> None:
        """Add another run's usage to this one."""
        self.busy += other.busy
        self.total += other.total
        for name, seconds in other.processes.items():
            self.processes[name] = self.processes.get(name, 0.0) + seconds

    def per_message(self, answered: int) -> dict[str, Any] | None:
        """CPU ms per answered message by process, the rest of the machine's busy time
        (databases, nginx, the kernel) as `other`, and how busy the machine was."""
        if answered <= 0 or self.total <= 0:
            return None
        processes = {name: round(s * 1000 / answered, 2) for name, s in self.processes.items()}
        other = max(0.0, self.busy - sum(self.processes.values()))
        return {
            "processes_ms": processes,
            "other_ms": round(other * 1000 / answered, 2),
            "busy_ms": round(self.busy * 1000 / answered, 2),
            "machine_busy_percent": round(self.busy / self.total * 100, 1),
        }
