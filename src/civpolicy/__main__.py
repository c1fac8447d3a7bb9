"""``python -m civpolicy``: the command line."""

import sys

from civpolicy.cli import main

sys.exit(main())
