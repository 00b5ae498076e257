"""Running `crm watch` / `crm serve` as real processes in tests, and waiting on them.

Long-running commands are tested the way a user runs them: a subprocess, signals, a real
HTTP client. Everything waits by polling with a deadline, never by a fixed sleep.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parents[1]
T = TypeVar("T")


def wait_until(check: Callable[[], T], timeout: float = 20.0, what: str = "condition") -> T:
    """Poll `check` until it returns something truthy; fail the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


class Crm:
    """A `crm` subprocess whose stdout and stderr lines are collected as they come."""

    def __init__(self, *args: str, cwd: Path | None = None) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
        env.pop("CRM_VAULT", None)
        env.pop("CRM_TODAY", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "plaintextcrm", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env=env,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self._threads = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.out), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self.err), daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    @staticmethod
    def _pump(stream, lines: list[str]) -> None:
        for line in stream:
            lines.append(line.rstrip("\n"))

    def err_lines(self, containing: str) -> list[str]:
        return [line for line in list(self.err) if containing in line]

    def stop(self, sig: int = signal.SIGINT, timeout: float = 20.0) -> int:
        """Send `sig`, wait for the exit code, and let the output pumps drain."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout=timeout)
        for thread in self._threads:
            thread.join(timeout=5)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
