"""``python -m sphinx_pypatterns``."""

import sys

from ._tools.cli import main

sys.exit(main())
