"""Sphinx configuration of the sphinx-pypatterns handbook.

The source folder is the repository root: build with
``sphinx-build -c docs . _build/html``.
"""

project = "Python library design patterns"
author = "The sphinx-pypatterns authors"
copyright = "2026, the sphinx-pypatterns authors"

extensions = ["sphinx_pypatterns"]
root_doc = "docs/index"
html_theme = "furo"
html_title = "Python library design patterns"

# The source folder is the repository root; only these folders are pages.
include_patterns = ["docs/**", "sources/**", "patterns/**", "smells/**"]
exclude_patterns = ["_build", ".pypatterns"]

myst_heading_anchors = 3

pypatterns_manifest = "upstreams.toml"
pypatterns_require_anchor = True
