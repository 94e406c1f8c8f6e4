"""``evidence.json``: the whole evidence index as data, written deterministically in pieces."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence

from .checkouts import split_origin
from .evidence import Picture
from .manifest import Manifest
from .quotes import split_anchor
from .records import MESSAGE, OK, SUBTYPE, CandidateRecord, CitationRecord, CountRecord, HeaderRecord

__all__ = ["SCHEMA_VERSION", "evidence_chunks"]

#: Bumped whenever a key of ``evidence.json`` changes meaning or disappears.
SCHEMA_VERSION = 1


def _dump(value: object) -> str:
    # compact: the C encoder (indentation would take the slow pure-Python one)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _citation_entry(docname: str, rec: CitationRecord, permalink: str) -> dict[str, object]:
    verdict = rec["verdict"]
    return {
        "docname": docname,
        "id": rec["node_id"],
        "lineno": rec["lineno"],
        "target": rec["target"],
        "upstream": rec["upstream"] or None,
        "path": rec["path"] or None,
        "start": rec["start"] or None,
        "end": rec["end"] or None,
        "symbol": split_anchor(rec["symbol"])[0] or None,
        "quotes": list(split_anchor(rec["symbol"])[1]),
        "section": rec["section"],
        "block": rec["block"],
        "verified": bool(verdict and verdict[OK]),
        "result": ("ok" if verdict[OK] else verdict[SUBTYPE]) if verdict else "unchecked",
        "message": verdict[MESSAGE] if verdict and not verdict[OK] else "",
        "permalink": permalink or None,
    }


def evidence_chunks(
    picture: Picture,
    headers: Mapping[str, HeaderRecord],
    citations: Mapping[str, Sequence[CitationRecord]],
    candidates: Mapping[str, Sequence[CandidateRecord]],
    xrefs: Mapping[str, Sequence[Sequence[str]]],
    documents: Mapping[str, tuple[str, str]],
    manifest: Manifest | None,
    permalink: Callable[[CitationRecord], str],
    origins: Mapping[str, str],
    counts: Mapping[str, Sequence[CountRecord]] | None = None,
) -> Iterator[str]:
    """The deterministic ``evidence.json`` text in pieces (schema in the user guide).

    Streamed, so a handbook's thousands of citations never sit in memory as
    one payload: one line per top-level key, one line per citation and link.
    ``documents`` maps every docname to (source path relative to the source
    folder, title); ``origins`` maps upstreams to how their checkout was materialised and what
    attests its commit (:func:`.checkouts.split_origin`).
    """
    docs = []
    for docname, (path, title) in sorted(documents.items()):
        head = headers.get(docname)
        entry: dict[str, object] = {
            "docname": docname,
            "path": path,
            "title": title,
            "kind": head["kind"] if head else None,
            "id": head["id"] if head else None,
            "citations": sum(picture.per_doc.get(docname, {}).values()),
        }
        if head is not None:
            entry["lineno"] = head["lineno"]
            if head["kind"] == "pattern":
                entry.update(area=head["area"], rule=head["rule"], tags=sorted(head["tags"]))
                if head.get("no_smell"):
                    entry["no_smell"] = head["no_smell"]
            elif head["kind"] == "smell":
                entry.update(inverts=sorted(head["inverts"]), summary=head["summary"])
            else:
                entry.update(upstream=head["upstream"])
        docs.append(entry)
    # links as sortable tuples: (type, from, to, extra key, extra value)
    links: list[tuple[str, str, str, str, str | int]] = []
    for docname, recs in citations.items():
        for rec in recs:
            if rec["upstream"]:
                links.append(("cites", docname, rec["upstream"], "citation", rec["node_id"]))
    for docname, cands in candidates.items():
        for cand in cands:
            links.append(("nominates", docname, cand["id"], "lineno", cand["lineno"]))
    for docname, head in headers.items():
        if head["kind"] == "smell":
            for target in head["inverts"]:
                links.append(("inverts", docname, target, "lineno", head["lineno"]))
    for docname, refs in xrefs.items():
        for kind, ident in refs:
            links.append(("references", docname, ident, "kind", kind))
    links.sort(key=lambda link: (link[0], link[1], link[2], link[3], str(link[4])))
    upstreams = {}
    if manifest is not None:
        for name, up in sorted(manifest.upstreams.items()):
            upstreams[name] = {
                "repository": up.repository,
                "tag": up.tag,
                "commit": up.commit,
                "license": up.license,
                "sources": list(up.sources),
            }
    checkouts = {}
    for name in sorted(manifest.upstreams if manifest is not None else ()):
        how, attested, attestation = split_origin(origins.get(name) or "not materialised")
        checkouts[name] = {"origin": how, "attested": attested, "attestation": attestation}
    small: dict[str, object] = {
        "schema_version": SCHEMA_VERSION,
        "upstreams": upstreams,
        "checkouts": checkouts,
        "documents": docs,
        "candidates": [
            {"id": c.id, "nominated_by": c.nominated_by, "pattern": c.pattern or None} for c in picture.candidates
        ],
        "matrix": {
            "upstreams": picture.upstreams,
            "rows": [
                {"pattern": p.id, "counts": {u: p.per_upstream.get(u, 0) for u in picture.upstreams}}
                for p in picture.patterns
            ],
        },
        "counts": [
            {
                "docname": docname,
                "id": rec["node_id"],
                "lineno": rec["lineno"],
                "spec": rec["spec"],
                "expected": rec["expected"],
                "count": rec["result"][0] if rec["result"] else None,
                "files": rec["result"][1] if rec["result"] else None,
                "verified": bool(rec["result"] and rec["result"][0] == rec["expected"]),
                "matches": [{"path": p, "line": n} for p, n in rec["result"][3]] if rec["result"] else [],
            }
            for docname, recs in sorted((counts or {}).items())
            for rec in recs
        ],
        "findings": [
            {"subtype": f.subtype, "docname": f.docname, "lineno": f.lineno, "subject": f.subject, "message": f.message}
            for f in picture.findings
        ],
    }
    keys = sorted([*small, "citations", "links"])
    yield "{\n"
    for i, key in enumerate(keys):
        yield f"{json.dumps(key)}:"
        if key == "citations":
            yield "[\n"
            first = True
            for docname, recs in sorted(citations.items()):
                for rec in recs:
                    yield ("" if first else ",\n") + _dump(_citation_entry(docname, rec, permalink(rec)))
                    first = False
            yield "\n]"
        elif key == "links":
            yield "[\n"
            yield ",\n".join(_dump({"type": t, "from": f, "to": to, k: v}) for t, f, to, k, v in links)
            yield "\n]"
        else:
            yield _dump(small[key])
        yield ",\n" if i < len(keys) - 1 else "\n}\n"
