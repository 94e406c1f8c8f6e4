"""The programs a PDF test runs: skip the test without them, or fail it when CI says they must be there."""

from __future__ import annotations

import os
import shutil

import pytest

NEEDED = ("latexmk", "xelatex", "pdftotext", "pdftoppm")


def require_pdf_tools() -> None:
    missing = [tool for tool in NEEDED if shutil.which(tool) is None]
    if missing:
        message = f"missing {', '.join(missing)}: bash .ci/setup installs TeX and poppler-utils"
        if os.environ.get("PYPATTERNS_REQUIRE_TOOLS"):
            pytest.fail(message)
        pytest.skip(message)
