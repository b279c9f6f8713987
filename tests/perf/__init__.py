"""Benchmarks (`make bench`); never run by `make test`. See CONTRIBUTING.md."""

import sys
from pathlib import Path

# The benchmarks share the tests' helpers (`support.*`), which pytest finds on tests/.
_TESTS = str(Path(__file__).resolve().parents[1])
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)
