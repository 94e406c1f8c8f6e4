"""Random edits of the evidence project, and the check that an incremental build equals a clean one."""

from __future__ import annotations

import difflib
import random
import shutil
from pathlib import Path

from conftest import Built, build

from support.builds import html_tree
from support.evidence_project import pattern_page

CITES = [
    "{cite}`HTTPError <up:pkg/errors.py:6-11>`",
    "{cite}`RequestError <two:pkg/errors.py:14-15>`",
    "{cite}`HTTPError.__init__ <up:pkg/errors.py:9-11>`",
    "{cite}`__all__ <two:pkg/errors.py:3>`",
]


def random_edit(rng: random.Random, src: Path) -> str:
    """One random edit of the project; returns its description."""
    pages = sorted(p for p in src.rglob("*.md") if "_build" not in p.parts and p.name != "index.md")
    kind = rng.choice(["add-cite", "remove-cite", "move-cite", "rename-id", "delete-page", "add-page", "nominate"])
    target = rng.choice(pages)
    text = target.read_text()
    if kind == "add-cite":
        target.write_text(text.replace("Evidence: ", f"Evidence: {rng.choice(CITES)} ", 1) + f"\n{rng.choice(CITES)}\n")
    elif kind == "remove-cite":
        for cite in CITES:
            if cite in text:
                target.write_text(text.replace(cite, "", 1))
                break
    elif kind == "move-cite":
        other = rng.choice(pages)
        for cite in CITES:
            if cite in text:
                target.write_text(text.replace(cite, "", 1))
                other.write_text(other.read_text() + f"\nMoved {cite}.\n")
                break
    elif kind == "rename-id" and ":id: " in text:
        old = text.split(":id: ", 1)[1].split("\n", 1)[0]
        target.write_text(text.replace(f":id: {old}", f":id: {old}-renamed"))
    elif kind == "delete-page" and len(pages) > 3:
        target.unlink()
        index = src / "index.md"
        rel = target.relative_to(src).with_suffix("").as_posix()
        index.write_text(index.read_text().replace(f"{rel}\n", ""))
    elif kind == "add-page":
        n = len(list(src.rglob("*.md")))
        name = f"patterns/new{n}.md"
        (src / name).write_text(pattern_page(f"new-{n}", rng.choice(CITES), rng.choice(CITES)))
        index = src / "index.md"
        index.write_text(index.read_text().replace("```\n", f"{name[:-3]}\n```\n", 1))
    elif kind == "nominate":
        note = src / "sources/up.md"
        if note.exists():
            note.write_text(note.read_text() + f"\n- {{candidate}}`new-{rng.randint(0, 9)}`\n")
    return f"{kind} {target.relative_to(src)}"


def compare_with_clean(
    inc: Path, workdir: Path, tag: str, *, deleted: frozenset[str] = frozenset(), label: object = None
) -> tuple[Built, Built]:
    """Build ``inc`` incrementally and a copy of its sources cleanly; assert the HTML and
    ``evidence.json`` are equal. Returns both builds (the caller compares their warnings)."""
    again = build(inc)
    clean = workdir / f"clean-{tag}"
    shutil.copytree(inc, clean, ignore=shutil.ignore_patterns("_build"))
    fresh = build(clean, freshenv=True)
    a, b = html_tree(again.app.outdir), html_tree(fresh.app.outdir)
    # Sphinx never deletes the output of a removed page: that is the only difference allowed
    leftovers = {k for k in a.keys() - b.keys() if f"{k[:-5]}.md" in deleted}
    assert a.keys() - leftovers == b.keys(), label or tag
    assert [k for k in b if a[k] != b[k]] == [], label or tag
    ev = Path(again.app.outdir, "evidence.json").read_text()
    clean_ev = Path(fresh.app.outdir, "evidence.json").read_text()
    if ev != clean_ev:
        diff = difflib.unified_diff(clean_ev.splitlines(), ev.splitlines(), "clean", "incremental", lineterm="")
        raise AssertionError(f"{label or tag}: evidence.json differs\n" + "\n".join(list(diff)[:40]))
    return again, fresh
