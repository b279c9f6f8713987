"""A stack of a test's own: its var dir, ports and environment, driven through the CLI."""

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

LIANXI = str(Path(sys.executable).parent / "lianxi")


@dataclass
class PrivateStack:
    var_dir: Path
    env: dict[str, str]
    ports: dict[str, int]

    def lianxi(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [LIANXI, *args], env=self.env, capture_output=True, text=True, check=False
        )
