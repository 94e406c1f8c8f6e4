"""The Sphinx side: setup, configuration, directives, roles, nodes, collection, the
``pp`` domain, the global step, incremental rules, rendering, HTML and LaTeX.
"""
