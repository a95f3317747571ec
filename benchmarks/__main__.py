"""Entry point: ``python -m benchmarks --size 1M``."""

from benchmarks.cli import main

raise SystemExit(main())
