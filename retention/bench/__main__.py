"""Entry point: ``python -m retention.bench --size 1M``."""

from retention.bench.cli import main

raise SystemExit(main())
