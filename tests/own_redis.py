"""A private redis-server on a free port that a test may stop and start (outages)."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

from bot.launcher import free_port


class OwnRedis:
    """A redis-server of this test's own on a free port, to stop and start again."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._argv = [binary, "--port", str(self.port), "--save", "", "--dir", str(directory)]
        self._server: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._server = subprocess.Popen(self._argv, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def restart(self, pause: float = 0.0) -> None:
        """Stop the server (keys are lost: it keeps nothing on disk) and start it again."""
        self.stop()
        time.sleep(pause)
        self.start()

    def stop(self) -> None:
        if self._server is not None and self._server.poll() is None:
            self._server.terminate()
            self._server.wait(10)
