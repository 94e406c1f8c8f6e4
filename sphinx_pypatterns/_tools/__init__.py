"""The command-line tools: ``pypatterns`` (new, sync, check), the check cache, the
background verifier and the page templates. Sphinx-free, like the core.
"""
