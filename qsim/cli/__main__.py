"""``python -m qsim.cli``."""

import sys

from . import main

sys.exit(main())
