"""The ``pp`` domain of an environment, typed (a ``cast``: the domain module imports the
directives and roles that ask for it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from sphinx.environment import BuildEnvironment

if TYPE_CHECKING:
    from .domain import PypatternsDomain

__all__ = ["domain_of"]


def domain_of(env: BuildEnvironment) -> PypatternsDomain:
    return cast("PypatternsDomain", env.get_domain("pp"))
