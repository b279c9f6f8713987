"""The one error type the stack raises: a message plus the fix, printed without a traceback."""

import subprocess
from typing import Any


class StackError(Exception):
    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def as_dict(self) -> dict[str, str]:
        return {"error": self.message, "fix": self.fix}

    def __str__(self) -> str:
        return f"{self.message}\n  fix: {self.fix}" if self.fix else self.message


def run_or_fail(command: list[str], failed: str, fix: str, tail: int = 2000, **run: Any) -> None:
    """Run a setup tool to completion; on a non-zero exit, StackError `failed` with the tail of
    its output (the cause) and the fix. `run`: subprocess.run's options (env, cwd)."""
    result = subprocess.run(command, capture_output=True, text=True, check=False, **run)
    if result.returncode != 0:
        raise StackError(f"{failed}:\n" + (result.stdout + result.stderr)[-tail:], fix=fix)
