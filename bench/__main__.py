"""Run the benchmarks: ``python -m bench [NAME]`` (see docs/benchmarks.md)."""

from __future__ import annotations

import sys


def main() -> None:
    names = sys.argv[1:]
    if not names:
        print("usage: python -m bench NAME  (no benchmarks yet)")


if __name__ == "__main__":
    main()
