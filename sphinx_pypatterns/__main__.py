"""``python -m sphinx_pypatterns``."""

import sys

from ._cli import main

sys.exit(main())
