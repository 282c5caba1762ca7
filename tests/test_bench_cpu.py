"""CPU per answered message from /proc readings, with restarts left out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.bench.cpu import Reading, Usage, machine_seconds, process_seconds, read
from bot.bench.memory import fixed_pids

TICKS = os.sysconf("SC_CLK_TCK")


def write_process(proc: Path, pid: int, ppid: int, utime: int, stime: int) -> None:
    folder = proc / str(pid)
    folder.mkdir(exist_ok=True)
    # pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    fields = ["S", str(ppid), "1", "1", "0", "-1", "0", "0", "0", "0", "0", str(utime), str(stime)]
    (folder / "stat").write_text(f"{pid} (rasa (x) y) " + " ".join([*fields, "0", "0"]) + "\n")


def write_machine(proc: Path, busy: int, idle: int) -> None:
    # cpu user nice system idle iowait irq softirq steal guest guest_nice
    (proc / "stat").write_text(f"cpu  {busy} 0 0 {idle} 0 0 0 0 0 0\ncpu0 1 0 0 1 0 0 0 0 0 0\n")


@pytest.fixture
def proc(tmp_path: Path) -> Path:
    root = tmp_path / "proc"
    root.mkdir()
    write_machine(root, busy=1000, idle=3000)
    write_process(root, 100, 1, utime=300, stime=100)  # rasa
    write_process(root, 101, 100, utime=50, stime=50)  # a worker rasa forked
    write_process(root, 200, 1, utime=80, stime=20)  # gateway
    return root


def test_a_process_counts_user_and_system_time(proc: Path) -> None:
    assert process_seconds(100, proc) == pytest.approx(400 / TICKS)
    assert process_seconds(999, proc) is None


def test_the_machine_is_busy_except_when_idle(proc: Path) -> None:
    assert machine_seconds(proc) == pytest.approx((1000 / TICKS, 4000 / TICKS))


def test_a_reading_counts_each_process_with_its_descendants(proc: Path) -> None:
    reading = read(fixed_pids({"rasa": [100], "gateway": [200]}), proc)
    assert reading.processes["rasa"][0] == (100,)
    assert reading.processes["rasa"][1] == pytest.approx(500 / TICKS)
    assert reading.processes["gateway"][1] == pytest.approx(100 / TICKS)


def test_usage_per_message_splits_the_machine_by_process(proc: Path) -> None:
    pids = fixed_pids({"rasa": [100], "gateway": [200]})
    before = read(pids, proc)
    write_machine(proc, busy=1000 + 2 * TICKS, idle=3000 + 2 * TICKS)
    write_process(proc, 100, 1, utime=300 + TICKS, stime=100)
    write_process(proc, 200, 1, utime=80 + TICKS // 2, stime=20)
    usage = Usage()
    usage.add(before, read(pids, proc))

    figures = usage.per_message(answered=10)

    assert figures is not None
    assert figures["processes_ms"]["rasa"] == pytest.approx(100, abs=0.5)
    assert figures["processes_ms"]["gateway"] == pytest.approx(50, abs=0.5)
    assert figures["other_ms"] == pytest.approx(50, abs=0.5)
    assert figures["busy_ms"] == pytest.approx(200, abs=0.5)
    assert figures["machine_busy_percent"] == pytest.approx(50, abs=0.1)


def test_a_restarted_process_is_left_out_of_that_run() -> None:
    before = Reading(10.0, 40.0, {"rasa": ((100,), 5.0), "gateway": ((200,), 1.0)})
    after = Reading(12.0, 44.0, {"rasa": ((300,), 0.5), "gateway": ((200,), 1.5)})
    usage = Usage()
    usage.add(before, after)
    assert usage.processes == {"gateway": pytest.approx(0.5)}
    assert usage.busy == pytest.approx(2.0)


def test_rounds_fold_and_nothing_answered_gives_no_figures() -> None:
    first = Usage(1.0, 4.0, {"rasa": 0.5})
    first.fold(Usage(2.0, 4.0, {"rasa": 1.0, "gateway": 0.25}))
    assert first == Usage(3.0, 8.0, {"rasa": 1.5, "gateway": 0.25})
    assert first.per_message(0) is None


def test_the_client_counts_alone_while_its_children_count_under_their_names(
    proc: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "getpid", lambda: 50)
    write_process(proc, 50, 1, utime=7, stime=3)
    write_process(proc, 100, 50, utime=300, stime=100)  # the stack the client started

    reading = read(fixed_pids({"rasa": [100]}), proc)

    assert reading.processes["bench client"][1] == pytest.approx(10 / TICKS)
    assert reading.processes["rasa"][1] == pytest.approx(500 / TICKS)
