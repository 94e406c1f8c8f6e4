"""The directives of the pages that show global data: ``pattern-checklist``, ``evidence-matrix``,
``pin-table`` and ``evidence-dashboard``."""

from __future__ import annotations

import re
from typing import ClassVar

from docutils import nodes

from .._core.hints import did_you_mean
from .access import domain_of
from .directives import PPDirective
from .log import warn
from .nodes import pp_checklist, pp_dashboard, pp_matrix, pp_pins

__all__ = ["ChecklistDirective", "DashboardDirective", "MatrixDirective", "PinTableDirective"]


class _GlobalPageDirective(PPDirective):
    """A directive that shows global data: noted, so its page is rewritten when that data changes."""

    kind: ClassVar[str]
    node_class: ClassVar[type[nodes.Element]]

    def run(self) -> list[nodes.Node]:
        found = self.read_options()
        node = self.node_class("", docname=self.env.docname)
        self.set_source_info(node)
        domain_of(self.env).note_global_page(self.env.docname, self.kind)
        self.configure(node, self.check_options(found))
        return [node, *self.keep_rest(found, "directive")]

    def configure(self, node: nodes.Element, opts: dict[str, str]) -> None:
        """Apply the known options (none, but for the checklist's ``:area:``)."""


class ChecklistDirective(_GlobalPageDirective):
    """``pattern-checklist``: every pattern's id and rule, grouped by area; ``:area:`` shows one area,
    ``:tags:`` only the patterns that carry every tag it names."""

    kind = "checklist"
    node_class = pp_checklist
    known = ("area", "tags")
    label = "pattern-checklist"

    def configure(self, node: nodes.Element, opts: dict[str, str]) -> None:
        if "tags" in opts:
            tags = sorted({t for t in re.split(r"[,\s]+", opts["tags"]) if t})
            if tags:
                node["tags"] = tags
            else:
                warn("empty option :tags: in pattern-checklist", "empty_option", self.where())
        if "area" not in opts:
            return
        area = " ".join(opts["area"].split())
        areas = list(self.config.pypatterns_areas)
        if not area:
            warn("empty option :area: in pattern-checklist", "empty_option", self.where())
        elif area not in areas:
            hint = did_you_mean(area, areas)
            warn(f"unknown area {area!r}{hint} (pypatterns_areas: {', '.join(areas)})", "unknown_area", self.where())
        else:
            node["area"] = area


class MatrixDirective(_GlobalPageDirective):
    """``evidence-matrix``: citation counts per pattern and upstream, with totals."""

    kind = "matrix"
    node_class = pp_matrix
    label = "evidence-matrix"


class PinTableDirective(_GlobalPageDirective):
    """``pin-table``: upstream, tag, full commit, license and how each checkout was materialised."""

    kind = "pins"
    node_class = pp_pins
    label = "pin-table"


class DashboardDirective(_GlobalPageDirective):
    """``evidence-dashboard``: candidates, patterns without smells, uncited upstreams, rule findings."""

    kind = "dashboard"
    node_class = pp_dashboard
    label = "evidence-dashboard"
