"""RSS readings of the stack's processes from a /proc tree, and the long-run growth."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bench.memory import (
    PeakMonitor,
    Snapshot,
    fixed_pids,
    growth,
    pid_files,
    restarted,
    rss_bytes,
    snapshot,
)


def fake_process(proc: Path, pid: int, ppid: int, rss_kb: int | None, name: str = "python") -> None:
    folder = proc / str(pid)
    folder.mkdir()
    # A command name with a space and a parenthesis, as /proc/<pid>/stat may show it.
    (folder / "stat").write_text(f"{pid} ({name} (x) y) S {ppid} {pid} {pid} 0 -1\n")
    status = "Name:\tpython\n" + (f"VmRSS:\t{rss_kb} kB\n" if rss_kb is not None else "")
    (folder / "status").write_text(status)


@pytest.fixture
def proc(tmp_path: Path) -> Path:
    root = tmp_path / "proc"
    root.mkdir()
    fake_process(root, 100, 1, 1000)  # rasa
    fake_process(root, 101, 100, 500)  # a worker it forked
    fake_process(root, 102, 101, 250)  # and one of that
    fake_process(root, 200, 1, 300)  # gateway
    fake_process(root, 300, 1, None)  # a kernel thread has no VmRSS
    (root / "self").mkdir()
    return root


def test_a_process_counts_with_its_descendants(proc: Path) -> None:
    shot = snapshot("start", fixed_pids({"rasa": [100], "gateway": [200]}), proc)
    assert shot.processes["rasa"].rss_bytes == 1750 * 1024
    assert shot.processes["rasa"].pids == [100]
    assert shot.processes["rasa"].processes == 3
    assert shot.total_bytes == 2050 * 1024


def test_gone_processes_read_as_unknown(proc: Path) -> None:
    assert rss_bytes(300, proc) is None
    assert rss_bytes(999, proc) is None
    shot = snapshot("x", fixed_pids({"gone": [999]}), proc)
    assert shot.processes["gone"].rss_bytes is None and shot.total_bytes is None


def test_pid_files_are_read_again_for_every_snapshot(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "rasa.pid").write_text("100")
    (run / "broken.pid").write_text("not a pid")
    source = pid_files(run)
    assert source() == {"rasa": [100]}
    (run / "rasa.pid").write_text("150\n")
    assert source() == {"rasa": [150]}


def test_growth_is_in_percent_and_unknown_across_a_restart(proc: Path) -> None:
    before = snapshot("before", fixed_pids({"rasa": [100], "gateway": [200]}), proc)
    (proc / "100" / "status").write_text("VmRSS:\t1100 kB\n")
    after = snapshot("after", fixed_pids({"rasa": [100], "gateway": [101]}), proc)
    change = growth(before, after)
    assert change["rasa"] == pytest.approx((1850 - 1750) / 1750 * 100, abs=0.01)
    assert change["gateway"] is None
    assert restarted(before, after) == ["gateway"]


def test_peak_keeps_the_largest_reading(proc: Path) -> None:
    monitor = PeakMonitor(fixed_pids({"rasa": [100]}))
    monitor.observe(snapshot("a", monitor.source, proc))
    monitor.observe(Snapshot("b", "now", {}))
    assert monitor.peak_total_bytes == 1750 * 1024
    assert monitor.peak_bytes == {"rasa": 1750 * 1024}


def test_this_process_is_readable_on_linux() -> None:
    import os

    reading = rss_bytes(os.getpid())
    assert reading is None or reading > 1_000_000
