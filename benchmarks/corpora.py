"""The synthetic corpora of ``build_speed.py``, each in three forms: ``ours`` (the extension),
``plain`` (plain Sphinx + MyST) and ``needs`` (sphinx-needs), all seeded and deterministic.

- **light**: one upstream git repository of short modules (``verify_speed.make_repo``), pinned
  under two upstream names; citations of random sub-ranges of a class, a method or an assignment.
- **heavy**: three upstream repositories of long modules (about 960 lines each), each pinned
  under its own name; every citation cites one whole top-level ``def`` or ``class`` (decorators
  to last line) with its name as the anchor, the citations dealt out so that every file is cited;
  every page also carries 20 cross-references to other pages' patterns.

The page layout (patterns with the seven sections, smells, source notes, checklist, matrix,
dashboard and pin pages) is the same code for both shapes: ``make_corpus``.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from verify_speed import make_repo

AREAS = ["public-surface", "exceptions", "sync-async", "typing", "data-model", "testing"]
UPSTREAMS = ("bench", "mirror")
URL = "https://example.invalid/{name}"
VARIANTS = ("plain", "ours", "needs")

OURS_CONF = """
project = "bench"
extensions = ["sphinx_pypatterns"]
html_theme = "furo"
exclude_patterns = ["_build"]
pypatterns_manifest = "upstreams.toml"
pypatterns_checkouts = {checkouts!r}
pypatterns_require_anchor = True
"""

PLAIN_CONF = """
project = "bench"
extensions = ["myst_parser"]
myst_enable_extensions = ["colon_fence"]
html_theme = "furo"
exclude_patterns = ["_build"]
"""

NEEDS_CONF = """
project = "bench"
extensions = ["myst_parser", "sphinx_needs"]
myst_enable_extensions = ["colon_fence"]
html_theme = "furo"
exclude_patterns = ["_build"]
"""

CONFS = {"plain": PLAIN_CONF, "needs": NEEDS_CONF}


@dataclass
class Corpus:
    """Page texts in the three forms, keyed by relative path."""

    ours: dict[str, str] = field(default_factory=dict)
    plain: dict[str, str] = field(default_factory=dict)
    needs: dict[str, str] = field(default_factory=dict)
    citations: int = 0

    def add(self, rel: str, texts: tuple[str, str, str]) -> None:
        self.ours[rel], self.plain[rel], self.needs[rel] = texts


class Citer:
    """Draws anchored citations of random sub-ranges from the light corpus's repository."""

    upstreams = UPSTREAMS

    def __init__(self, rng: random.Random, index: dict[str, list[tuple[str, int, int]]], commit: str) -> None:
        self.rng = rng
        self.index = index
        self.paths = sorted(index)
        self.commit = commit
        self.count = 0

    def pair(self, upstream: str | None = None) -> tuple[str, str]:
        """One citation: (ours, plain)."""
        path = self.rng.choice(self.paths)
        name, start, end = self.rng.choice(self.index[path])
        a = self.rng.randint(start, end)
        b = self.rng.randint(a, end)
        up = upstream or UPSTREAMS[self.count % 2]
        self.count += 1
        return _cite(name, up, self.commit, path, a, b)

    def many(self, n: int) -> tuple[str, str]:
        pairs = [self.pair(UPSTREAMS[i % 2]) for i in range(n)]
        return ", ".join(p[0] for p in pairs), ", ".join(p[1] for p in pairs)


def _cite(name: str, up: str, commit: str, path: str, a: int, b: int) -> tuple[str, str]:
    lines = f"{a}" if a == b else f"{a}-{b}"
    anchor = f"#L{a}" if a == b else f"#L{a}-L{b}"
    url = f"{URL.format(name=up)}/blob/{commit}/{path}{anchor}"
    return f"{{cite}}`{name} <{up}:{path}:{lines}>`", f"[{name}]({url})"


@dataclass
class Upstream:
    """One generated repository, pinned under one name; ``index``: path -> its top-level spans."""

    name: str
    root: Path
    commit: str
    index: dict[str, list[tuple[str, int, int]]]


class SpanCiter:
    """Whole top-level definitions, dealt out evenly: files in a (seeded) shuffled order, cycled, and
    each file's definitions cycled in turn, so every file is cited before any is cited twice and
    no span is cited twice before its file's spans run out. ``pair(up)`` (a source note on one
    upstream) deals from that upstream's files alone."""

    def __init__(self, rng: random.Random, upstreams: list[Upstream]) -> None:
        self.upstreams = tuple(u.name for u in upstreams)
        self.by_name = {u.name: u for u in upstreams}
        files = [(u.name, path) for u in upstreams for path in sorted(u.index)]
        rng.shuffle(files)
        self.spans = {}
        for up, path in files:
            spans = list(self.by_name[up].index[path])
            rng.shuffle(spans)
            self.spans[up, path] = spans
        self.used = dict.fromkeys(files, 0)
        self.queues: dict[str | None, Iterator[tuple[str, str]]] = {None: _cycle(files)}
        for name in self.upstreams:
            self.queues[name] = _cycle([f for f in files if f[0] == name])
        self.count = 0

    def pair(self, upstream: str | None = None) -> tuple[str, str]:
        up, path = next(self.queues[upstream])
        spans = self.spans[up, path]
        name, start, end = spans[self.used[up, path] % len(spans)]
        self.used[up, path] += 1
        self.count += 1
        return _cite(name, up, self.by_name[up].commit, path, start, end)

    def many(self, n: int) -> tuple[str, str]:
        pairs = [self.pair() for _ in range(n)]
        return ", ".join(p[0] for p in pairs), ", ".join(p[1] for p in pairs)

    def files_cited(self) -> int:
        return sum(1 for n in self.used.values() if n)


def _cycle(items: list[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    while True:
        yield from items


def _need_id(pid: str) -> str:
    """sphinx-needs' default ``needs_id_regex`` is ``^[A-Z0-9_]{5,}``: p0007 -> P_0007."""
    return f"{pid[0].upper()}_{pid[1:]}"


def _refs(pids: list[str], here: str) -> tuple[str, str, str]:
    """Cross-references to patterns from a page in folder ``here``, in the three forms."""
    prefix = "" if here == "patterns" else "../patterns/"
    return (
        ", ".join(f"{{pattern}}`{pid}`" for pid in pids),
        ", ".join(f"[{pid}]({prefix}{pid}.md)" for pid in pids),
        ", ".join(f"{{need}}`{_need_id(pid)}`" for pid in pids),
    )


def _page(title: str, headers: tuple[str, str, str], sections: list[tuple[str, ...]]) -> tuple[str, str, str]:
    """``sections``: (name, ours, plain) or (name, ours, plain, needs); needs defaults to plain."""
    forms: list[list[str]] = [[f"# {title}", "", header, ""] for header in headers]
    for name, text_o, text_p, *rest in sections:
        texts = (text_o, text_p, rest[0] if rest else text_p)
        for form, text in zip(forms, texts, strict=True):
            form += [f"## {name}", "", text, ""]
    o, p, n = ("\n".join(form) for form in forms)
    return o, p, n


def make_corpus(pages: int, citations: int, citer: Citer | SpanCiter, rng: random.Random, *, xrefs: int = 0) -> Corpus:
    """P pages (patterns, smells, source notes) holding about C citations, plus the global pages.

    ``xrefs``: cross-references to other pages' patterns on every pattern, smell and source-note
    page (0: the light corpus's one per pattern and smell page, none on notes). The needs form is
    the plain text with one need per page in place of the admonition and ``{need}`` roles in
    place of the links; it draws nothing from ``rng``, so the ours and plain forms are the same
    bytes as before it existed.
    """
    corpus = Corpus()
    n_notes = max(2, pages // 10)
    n_smells = max(1, pages // 4)
    n_patterns = max(1, pages - n_notes - n_smells)
    per_page = max(2, citations // pages)
    pattern_ids = [f"p{i:04d}" for i in range(n_patterns)]
    ups = citer.upstreams

    def filler(i: int) -> str:
        # words from a vocabulary of 400: two pages' prose shares few of them, as two real
        # patterns' do (the duplicate-guidance rule compares the patterns' What sections)
        return " ".join(rng.choice(_VOCAB) for _ in range(40 + i % 7))

    def others(i: int, n: int, own: str = "") -> list[str]:
        """n patterns other than ``own``, spread over all of them (repeats only if there are fewer)."""
        pool = [pid for pid in pattern_ids if pid != own] or pattern_ids
        step = max(1, len(pool) // max(1, n))
        return [pool[(i + k * step) % len(pool)] for k in range(n)]

    for i, pid in enumerate(pattern_ids):
        evidence_o, evidence_p = citer.many(per_page - 1)
        counter_o, counter_p = citer.pair()
        header_o = f":::{{pattern}}\n:id: {pid}\n:area: {AREAS[i % 6]}\n:rule: Rule number {i} for library design.\n:::"
        header_p = f":::{{admonition}} Pattern {pid}\n**Area**: {AREAS[i % 6]}. **Rule**: Rule number {i} for library design.\n:::"
        header_n = (
            f":::{{req}} Pattern {pid}\n:id: {_need_id(pid)}\n:tags: {AREAS[i % 6]}\n\n"
            f"**Area**: {AREAS[i % 6]}. **Rule**: Rule number {i} for library design.\n:::"
        )
        see = pattern_ids[(i + 1) % n_patterns]
        when_o, when_p, when_n = _refs([see] + (others(i + 2, xrefs - 1, pid) if xrefs > 1 else []), "patterns")
        sections = [
            ("What", filler(i), filler(i)),
            ("Why", filler(i + 1), filler(i + 1)),
            ("When to use", f"See {when_o}.", f"See {when_p}.", f"See {when_n}."),
            ("When not to use", filler(i + 2), filler(i + 2)),
            ("Preferred shapes", filler(i + 3), filler(i + 3)),
            ("Counterexamples", f"Counter: {counter_o}.", f"Counter: {counter_p}."),
            ("Evidence", f"Evidence: {evidence_o}.", f"Evidence: {evidence_p}."),
        ]
        corpus.add(f"patterns/{pid}.md", _page(f"Pattern {i}", (header_o, header_p, header_n), sections))
    for i in range(n_smells):
        sid = f"s{i:04d}"
        inverts = pattern_ids[i % n_patterns]
        ev_o, ev_p = citer.many(per_page)
        header_o = f":::{{smell}}\n:id: {sid}\n:inverts: {inverts}\n:summary: Smell number {i}.\n:::"
        header_p = f":::{{admonition}} Smell {sid}\n**Inverts**: {inverts}. **Summary**: Smell number {i}.\n:::"
        header_n = (
            f":::{{spec}} Smell {sid}\n:id: {_need_id(sid)}\n:links: {_need_id(inverts)}\n\n"
            f"**Inverts**: {inverts}. **Summary**: Smell number {i}.\n:::"
        )
        use_o, use_p, use_n = _refs([inverts], "smells")
        if xrefs > 1:
            also_o, also_p, also_n = _refs(others(i, xrefs - 1, inverts), "smells")
            use_o, use_p, use_n = (
                f"{use_o}. See also {also_o}",
                f"{use_p}. See also {also_p}",
                f"{use_n}. See also {also_n}",
            )
        sections = [
            ("Symptoms", filler(i), filler(i)),
            ("Why it hurts", filler(i + 1), filler(i + 1)),
            ("Instead", f"Use {use_o}.", f"Use {use_p}.", f"Use {use_n}."),
            ("Evidence", f"Evidence: {ev_o}.", f"Evidence: {ev_p}."),
        ]
        corpus.add(f"smells/{sid}.md", _page(f"Smell {i}", (header_o, header_p, header_n), sections))
    for i in range(n_notes):
        up = ups[i % len(ups)]
        items_o, items_p = [], []
        for _ in range(max(1, per_page // 2)):
            (a_o, a_p), (b_o, b_p) = citer.pair(up), citer.pair(up)
            items_o.append(f"- **Repeated.** {a_o}, {b_o}.")
            items_p.append(f"- **Repeated.** {a_p}, {b_p}.")
        mine = pattern_ids[i::n_notes]
        cands_o = "\n".join(f"- {{candidate}}`{pid}`" for pid in mine)
        cands_p = "\n".join(f"- `{pid}`" for pid in mine)
        header_o = f":::{{source-note}}\n:upstream: {up}\n:::"
        header_p = f":::{{admonition}} Source note\n**Upstream**: {up}\n:::"
        header_n = f":::{{impl}} Source note\n:id: N_{i:04d}\n\n**Upstream**: {up}\n:::"
        why_o, why_p = filler(i), filler(i)  # in this order: the light corpus's bytes depend on it
        caveats = filler(i + 1)
        caveats_p = caveats_n = filler(i + 1)
        if xrefs:
            rel_o, rel_p, rel_n = _refs(others(i, xrefs), "sources")
            caveats, caveats_p, caveats_n = (f"{caveats}\n\nSee {rel_o}.", f"{caveats_p}\n\nSee {rel_p}.",
                                             f"{caveats_n}\n\nSee {rel_n}.")  # fmt: skip
        sections = [
            ("Why this repo", why_o, why_p),
            ("Repeated patterns", "\n".join(items_o), "\n".join(items_p)),
            ("Caveats and counterexamples", caveats, caveats_p, caveats_n),
            ("Pattern candidates", cands_o, cands_p),
        ]
        o, p, n = _page(f"Note {i} on {up}", (header_o, header_p, header_n), sections)
        # a source note's id is its upstream: only one note per upstream may carry the header
        if i >= len(ups):
            o = o.replace(header_o, f"*A further note on {up}.*")
        corpus.add(f"sources/n{i:03d}.md", (o, p, n))
    for name, directive in (("checklist", "pattern-checklist"), ("matrix", "evidence-matrix"),
                            ("dashboard", "evidence-dashboard"), ("pins", "pin-table")):  # fmt: skip
        plain = f"# {name.title()}\n\nGenerated by the extension in the other form.\n"
        corpus.add(f"{name}.md", (f"# {name.title()}\n\n:::{{{directive}}}\n:::\n", plain, plain))
    toc = "```{toctree}\n:maxdepth: 1\n:glob:\n\nchecklist\nmatrix\ndashboard\npins\nsources/*\npatterns/*\nsmells/*\n```\n"
    corpus.add("index.md", (f"# Bench\n\n{toc}",) * 3)
    corpus.citations = citer.count
    return corpus


def write(root: Path, files: dict[str, str], conf: str, manifest: str = "") -> None:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / "conf.py").write_text(conf)
    if manifest:
        (root / "upstreams.toml").write_text(manifest)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


# --- the heavy shape's upstream: long modules of whole definitions ---------------------------------

_SYLLABLES = (
    "ka",
    "lo",
    "mi",
    "nu",
    "pe",
    "ra",
    "si",
    "to",
    "vu",
    "ze",
    "bo",
    "di",
    "fa",
    "gu",
    "he",
    "ji",
    "ko",
    "le",
    "mo",
    "ni",
)
_VOCAB = tuple(a + b + "n" for a in _SYLLABLES for b in _SYLLABLES)

_VERBS = ("fold", "merge", "scan", "parse", "render", "collect", "resolve", "split", "load", "store", "walk", "emit")
_NOUNS = ("items", "records", "tokens", "nodes", "rows", "events", "blocks", "spans", "keys", "pages", "lines")
_KINDS = ("Cache", "Store", "Reader", "Writer", "Index", "Queue", "Table", "Walker", "Buffer", "Registry")


def _body(rng: random.Random, n: int, pad: str) -> list[str]:
    """n statements at indentation ``pad`` over the locals ``value``, ``total`` and ``seen``."""
    out: list[str] = []
    for s in range(n):
        r = rng.random()
        k = s + 2
        if r < 0.3:
            out.append(f"{pad}total += value * {k}")
        elif r < 0.5:
            out += [f"{pad}if total > {k * 97}:", f"{pad}    total -= {k}"]
        elif r < 0.7:
            out += [f"{pad}for step in range({k}):", f"{pad}    total ^= step << {k % 5}"]
        elif r < 0.85:
            out.append(f"{pad}seen.append(total % {k + 1})")
        else:
            out += [f"{pad}try:", f"{pad}    total //= value % {k} or 1", f"{pad}except ZeroDivisionError:",
                    f"{pad}    total = {k}"]  # fmt: skip
    return out


def heavy_module(rng: random.Random, tag: str, target: int = 960) -> tuple[str, list[tuple[str, int, int]]]:
    """A valid module of about ``target`` lines: top-level functions and classes with methods.

    Returns the text and its top-level definitions as (name, first line, last line), the first
    line being the first decorator's, as the extension's symbol table spans them.
    """
    lines = [
        f'"""Module {tag}: generated for the build benchmark."""',
        "",
        "from __future__ import annotations",
        "",
        "import functools",
        "import typing",
        "",
        f"LIMIT = {len(tag) * 7}",
    ]
    spans: list[tuple[str, int, int]] = []
    j = 0
    while len(lines) < target - 20:  # a definition is about 40 lines: ends near target on average
        lines += ["", ""]
        start = len(lines) + 1
        verb, noun = rng.choice(_VERBS), rng.choice(_NOUNS)
        limit = rng.randint(10, 999)
        if rng.random() < 0.6:
            name = f"{verb}_{noun}_{j}"
            if rng.random() < 0.3:
                lines.append("@functools.lru_cache(maxsize=128)")
            lines += [
                f"def {name}(value: int, limit: int = {limit}) -> int:",
                f'    """{verb.title()} the {noun} of {tag} up to ``limit``."""',
                "    total = 0",
                "    seen: list[int] = []",
                *_body(rng, rng.randint(3, 12), "    "),
                "    return total + len(seen)",
            ]
        else:
            kind = rng.choice(_KINDS)
            name = f"{noun.title()}{kind}{j}"
            if rng.random() < 0.3:
                lines.append("@typing.final")
            lines += [
                f"class {name}:",
                f'    """A {kind.lower()} of {noun} for {tag}."""',
                "",
                f"    LIMIT = {limit}",
                "",
                "    def __init__(self, value: int = 0) -> None:",
                "        self.value = value",
                "        self.seen: list[int] = []",
                "",
                "    @property",
                "    def size(self) -> int:",
                "        return self.value + len(self.seen)",
            ]
            for m in range(rng.randint(2, 5)):
                lines += [
                    "",
                    f"    def {rng.choice(_VERBS)}_{m}(self, value: int) -> int:",
                    "        total = self.value",
                    "        seen = self.seen",
                    *_body(rng, rng.randint(2, 7), "        "),
                    "        return total",
                ]
            lines += [
                "",
                "    @staticmethod",
                "    def mix(value: int) -> int:",
                f"        return value * {limit} % 7919",
            ]
        spans.append((name, start, len(lines)))
        j += 1
    return "\n".join(lines) + "\n", spans


#: Fixed identity and dates: the heavy repositories' commits are the same on every run.
GIT_ENV = dict(
    os.environ,
    GIT_AUTHOR_NAME="b",
    GIT_AUTHOR_EMAIL="b@example.invalid",
    GIT_COMMITTER_NAME="b",
    GIT_COMMITTER_EMAIL="b@example.invalid",
    GIT_AUTHOR_DATE="2026-01-01T00:00:00Z",
    GIT_COMMITTER_DATE="2026-01-01T00:00:00Z",
)


def heavy_repo(root: Path, name: str, files: int, lines: int = 960) -> Upstream:
    """A git repository of ``files`` modules of about ``lines`` lines, one commit."""
    rng = random.Random(f"heavy-{name}")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    index = {}
    for i in range(files):
        text, spans = heavy_module(rng, f"{name}m{i:03d}", lines)
        path = f"pkg/sub{i % 10}/m{i:03d}.py"
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
        index[path] = spans
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(root), "commit", "-q", "-m", "bench"], check=True, env=GIT_ENV)
    sha = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], check=True, capture_output=True, text=True)
    return Upstream(name, root, sha.stdout.strip(), index)


def manifest_of(pins: list[tuple[str, str]]) -> str:
    """(upstream name, commit) pairs -> upstreams.toml."""
    return "".join(
        f'[{name}]\nrepository = "{URL.format(name=name)}"\ntag = "v1"\ncommit = "{commit}"\nlicense = "MIT"\n\n'
        for name, commit in pins
    )


# --- generated projects -----------------------------------------------------------------------------


@dataclass
class Generated:
    """One corpus on disk: its three projects, its check project, and how to draw one more citation."""

    name: str
    root: Path
    sources: dict[str, Path]
    check: Path
    pages: int
    citations: int
    files: int
    lines: int
    check_citations: int
    check_files: int
    extra_citation: Callable[[int], tuple[str, str]]
    details: dict[str, object] = field(default_factory=dict)


def _write_projects(root: Path, corpus: Corpus, ours_conf: str, manifest: str) -> dict[str, Path]:
    sources = {v: root / v for v in VARIANTS}
    write(sources["ours"], corpus.ours, ours_conf, manifest)
    write(sources["plain"], corpus.plain, CONFS["plain"])
    write(sources["needs"], corpus.needs, CONFS["needs"])
    return sources


def generate_light(root: Path, pages: int, citations: int, check_citations: int) -> Generated:
    """The light corpus: the same bytes (ours and plain) as before the needs form and the heavy shape."""
    rng = random.Random(20261126)
    files = max(50, check_citations // 20)
    commit, index = make_repo(root / "upstream", files, rng)
    manifest = manifest_of([(name, commit) for name in UPSTREAMS])
    checkouts = [f"{name}={root / 'upstream'}" for name in UPSTREAMS]
    corpus = make_corpus(pages, citations, Citer(rng, index, commit), rng)
    sources = _write_projects(root, corpus, OURS_CONF.format(checkouts=checkouts), manifest)
    ccorpus = make_corpus(pages, check_citations, Citer(random.Random(5), index, commit), rng)
    write(root / "check", ccorpus.ours, OURS_CONF.format(checkouts=checkouts), manifest)
    lines = sum(len((root / "upstream" / path).read_text().splitlines()) for path in index)
    return Generated(
        "light", root, sources, root / "check", len(corpus.ours), corpus.citations, files, lines,
        ccorpus.citations, files,
        lambda i: Citer(random.Random(i), index, commit).pair("mirror"),
    )  # fmt: skip


def generate_heavy(
    root: Path, pages: int, citations: int, check_citations: int, files: int = 200, lines: int = 960
) -> Generated:
    """The heavy corpus: 3 upstreams of ``files`` modules each; its check project cites 5 × files
    distinct files (default 1,000): the three upstreams and a fourth, check-only one, ``up4``, of
    2 × files modules, as long as the others (600 modules generate in a few seconds, so there is no
    need to make them shorter)."""
    ups = [heavy_repo(root / f"up{k}", f"up{k}", files, lines) for k in (1, 2, 3)]
    rng = random.Random(20261127)
    citer = SpanCiter(rng, ups)
    corpus = make_corpus(pages, citations, citer, rng, xrefs=20)
    manifest = manifest_of([(u.name, u.commit) for u in ups])
    checkouts = [f"{u.name}={u.root}" for u in ups]
    sources = _write_projects(root, corpus, OURS_CONF.format(checkouts=checkouts), manifest)
    # pypatterns check: the same pages at check_citations, over the three upstreams and up4
    extra = heavy_repo(root / "up4", "up4", 2 * files, lines)
    cciter = SpanCiter(random.Random(5), [*ups, extra])
    ccorpus = make_corpus(pages, check_citations, cciter, rng, xrefs=20)
    cmanifest = manifest_of([(u.name, u.commit) for u in (*ups, extra)])
    write(root / "check", ccorpus.ours, OURS_CONF.format(checkouts=[*checkouts, f"up4={extra.root}"]), cmanifest)
    every = {(u.name, path): spans for u in ups for path, spans in u.index.items()}
    keys = sorted(every)

    def extra_citation(i: int) -> tuple[str, str]:
        r = random.Random(i)
        up, path = r.choice(keys)
        name, start, end = r.choice(every[up, path])
        return _cite(name, up, citer.by_name[up].commit, path, start, end)

    n_lines = sum(spans[-1][2] for spans in every.values())
    return Generated(
        "heavy", root, sources, root / "check", len(corpus.ours), corpus.citations, len(every), n_lines,
        ccorpus.citations, cciter.files_cited(), extra_citation,
        {"files_cited": citer.files_cited(), "top_level_definitions": sum(len(s) for s in every.values()),
         "upstreams": [u.name for u in ups]},
    )  # fmt: skip
