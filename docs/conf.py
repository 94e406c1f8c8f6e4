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
pypatterns_rule_max_words = 25  # stricter than the default 30
pypatterns_min_nominations = 2  # a pattern synthesises what repeats: two notes nominate it
pypatterns_require_smell = True  # a smell inverts every pattern, or its page says why none does

# -- The printed review copy (sphinx-build -M latexpdf -c docs . _build) -----
latex_engine = "xelatex"
latex_documents = [("docs/book", "pypatterns-handbook.tex", project, author, "manual")]
latex_appendices = ["docs/matrix", "docs/dashboard"]
latex_domain_indices = True  # the evidence index, as the last appendix
latex_elements = {
    "papersize": "a4paper",
    "pointsize": "10pt",
    "printindex": "",  # no general index: the evidence index is the index
    "sphinxsetup": "verbatimwrapslines=true, verbatimforcewraps=true",
}
