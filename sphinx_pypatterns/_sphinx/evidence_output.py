"""``evidence.json`` in every builder's output folder, and the cheap ``-b evidence`` builder."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator, Set
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.builders import Builder

from .._core.evidence_json import evidence_chunks
from .access import domain_of
from .incremental import evidence_digest

__all__ = ["EvidenceBuilder", "write_evidence"]

FILENAME = "evidence.json"
#: The digest of the inputs of the written ``evidence.json``.
STAMP = ".evidence.sha256"


def _documents(app: Sphinx) -> dict[str, tuple[str, str]]:
    env = app.env
    documents = {}
    for docname in env.found_docs:
        title = env.titles.get(docname)
        documents[docname] = (str(env.doc2path(docname, False)).replace("\\", "/"), title.astext() if title else "")
    return documents


def evidence_chunks_of(app: Sphinx, documents: dict[str, tuple[str, str]]) -> Iterator[str]:
    """The deterministic ``evidence.json`` of the current environment, in pieces."""
    domain = domain_of(app.env)
    return evidence_chunks(
        domain.picture(),
        domain.headers,
        domain.citations,
        domain.candidates,
        domain.xrefs,
        documents,
        domain.manifest,
        domain.permalink,
        domain.data["origins"],
        domain.counts,
    )


def write_evidence(app: Sphinx, exc: BaseException | None) -> None:
    """``build-finished``: write ``evidence.json`` next to the builder's output.

    Skipped when nothing it holds changed since it was written (a digest of
    its inputs is kept beside it); otherwise streamed to a temporary file and
    renamed into place, only when its content changed.
    """
    if exc is not None or app.builder is None:
        return
    outdir = Path(app.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    target = outdir / FILENAME
    stamp = outdir / STAMP
    documents = _documents(app)
    digest = evidence_digest(domain_of(app.env), documents)
    try:
        if target.is_file() and stamp.read_text("utf-8") == digest:
            return
    except OSError:
        pass
    new = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(prefix=".evidence-", suffix=".json", dir=outdir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            for chunk in evidence_chunks_of(app, documents):
                handle.write(chunk)
                new.update(chunk.encode("utf-8"))
        if target.is_file() and _sha256(target) == new.hexdigest():
            os.unlink(tmp)
        else:
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    stamp.write_text(digest, "utf-8")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
