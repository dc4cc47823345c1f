"""`python -m filler` runs the CLI."""

import sys

from filler.cli import main

sys.exit(main())
