"""Benchmarks (`make bench`); never run by `make test`. See CONTRIBUTING.md."""
