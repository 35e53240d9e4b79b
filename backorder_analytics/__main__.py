"""``python -m backorder_analytics``: the same command line as ``backorder-analytics``."""

import sys

from .cli import main

sys.exit(main())
