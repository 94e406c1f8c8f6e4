"""The ``pp`` domain of an environment, typed (a ``cast``: the domain module imports the
directives and roles that ask for it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast
from weakref import WeakKeyDictionary

from sphinx.application import Sphinx
from sphinx.builders import Builder
from sphinx.environment import BuildEnvironment

if TYPE_CHECKING:
    from .domain import PypatternsDomain

__all__ = ["builder_of", "domain_of", "note_builder"]

#: env -> the builder that writes it, noted at ``builder-inited`` (post-transforms have no
#: public way to reach it: ``SphinxTransform.app`` is deprecated)
_BUILDERS: WeakKeyDictionary[BuildEnvironment, Builder] = WeakKeyDictionary()


def note_builder(app: Sphinx) -> None:
    """``builder-inited``: remember the builder of ``app.env``."""
    _BUILDERS[app.env] = app.builder


def builder_of(env: BuildEnvironment) -> Builder | None:
    return _BUILDERS.get(env)


def domain_of(env: BuildEnvironment) -> PypatternsDomain:
    return cast("PypatternsDomain", env.get_domain("pp"))
