"""``evidence.json`` in every builder's output folder, and the cheap ``-b evidence`` builder."""

from __future__ import annotations

from collections.abc import Set
from pathlib import Path
from typing import cast

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.builders import Builder

from ._domain import PypatternsDomain
from ._evidence import evidence_json

__all__ = ["EvidenceBuilder", "write_evidence"]

FILENAME = "evidence.json"


def evidence_text(app: Sphinx) -> str:
    """The deterministic ``evidence.json`` of the current environment."""
    env = app.env
    domain = cast("PypatternsDomain", env.get_domain("pp"))
    documents = {}
    for docname in env.found_docs:
        title = env.titles.get(docname)
        documents[docname] = (str(env.doc2path(docname, False)).replace("\\", "/"), title.astext() if title else "")
    permalinks = {
        (docname, rec["node_id"]): domain.permalink(rec) for docname, recs in domain.citations.items() for rec in recs
    }
    return evidence_json(
        domain.picture(),
        domain.headers,
        domain.citations,
        domain.candidates,
        domain.data["xrefs"],
        documents,
        domain.manifest,
        permalinks,
    )


def write_evidence(app: Sphinx, exc: BaseException | None) -> None:
    """``build-finished``: write ``evidence.json`` next to the builder's output."""
    if exc is not None or app.builder is None:
        return
    outdir = Path(app.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    text = evidence_text(app)
    target = outdir / FILENAME
    if not target.exists() or target.read_text("utf-8") != text:
        target.write_text(text, "utf-8")


class EvidenceBuilder(Builder):
    """``-b evidence``: read, verify and check everything; write only ``evidence.json``."""

    name = "evidence"
    epilog = "The evidence index is in %(outdir)s/evidence.json."
    allow_parallel = True

    def init(self) -> None:
        pass

    def get_outdated_docs(self) -> set[str]:
        return set()

    def get_target_uri(self, docname: str, typ: str | None = None) -> str:
        return ""

    def prepare_writing(self, docnames: Set[str]) -> None:
        pass

    def write_documents(self, docnames: Set[str]) -> None:
        pass

    def write_doc(self, docname: str, doctree: nodes.document) -> None:
        pass

    def finish(self) -> None:
        pass
