"""Entry point of ``python -m retention.generate``."""

import sys

from retention.generate.cli import main

sys.exit(main())
