"""The verification core: targets, manifest, checkouts, symbols, verification, scanning,
records and the evidence computation. Nothing here imports Sphinx or docutils
(``tests/test_layout.py`` holds that boundary).
"""
