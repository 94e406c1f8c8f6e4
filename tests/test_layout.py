"""The layout holds: a Sphinx-free core and tools, small modules, a slim domain, no test module
importing another, and the one value the extension sets in Sphinx's hands still guarded."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import sphinx

import sphinx_pypatterns
from sphinx_pypatterns._sphinx.encoding import SPHINX_READS_WITH_INPUT_ENCODING

PACKAGE = Path(sphinx_pypatterns.__file__).parent
TESTS = Path(__file__).parent


def _modules(subpackage: str) -> list[str]:
    prefix = f"sphinx_pypatterns.{subpackage}."
    return sorted(m.name for m in pkgutil.iter_modules([str(PACKAGE / subpackage)], prefix))


def test_the_core_and_the_tools_import_with_sphinx_and_docutils_unimportable():
    modules = ["sphinx_pypatterns", *_modules("_core"), *_modules("_tools")]
    assert len(modules) > 20  # the whole core and every tool, found on disk
    script = (
        "import sys\n"
        "for name in ('sphinx', 'docutils', 'myst_parser'):\n"
        "    sys.modules[name] = None  # importing it raises ImportError\n"
        "import importlib\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "import sphinx_pypatterns\n"
        "for name in sphinx_pypatterns.__all__:\n"
        "    if name != 'setup':\n"
        "        getattr(sphinx_pypatterns, name)\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-3000:]


def test_the_sphinx_side_does_fail_without_sphinx():
    """The check above can fail: the same check of the Sphinx side does."""
    script = "import sys\nsys.modules['sphinx'] = None\nimport sphinx_pypatterns._sphinx.domain\n"
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert proc.returncode != 0 and "ModuleNotFoundError" in proc.stderr, proc.stderr[-2000:]


def _lines(path: Path) -> int:
    return len(path.read_text("utf-8").splitlines())


def test_modules_are_small_and_the_domain_holds_data():
    sizes = {str(p.relative_to(PACKAGE)): _lines(p) for p in PACKAGE.rglob("*.py")}
    assert {name: n for name, n in sizes.items() if n > 400} == {}
    assert sizes["_sphinx/domain.py"] <= 300


def test_the_core_and_the_tools_never_import_the_sphinx_side():
    """Not even lazily: the core imports neither the tools nor the Sphinx side, the tools not the
    Sphinx side (``pypatterns check`` imports Sphinx's ``Tags`` only when conf.py uses ``tags``)."""
    for sub, banned in (("_core", ("_sphinx", "_tools", "sphinx", "docutils")), ("_tools", ("_sphinx",))):
        for path in (PACKAGE / sub).glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                else:
                    continue
                for name in names:
                    assert name.split(".")[0] not in banned, (sub, path.name, name)


def test_no_test_module_imports_another():
    tests = {p.stem for p in TESTS.glob("test_*.py")}
    for path in TESTS.glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            assert not set(names) & tests, (path.name, names)


def test_the_input_encoding_guard_names_the_installed_sphinx():
    """The build sets ``input_encoding`` for the Sphinx versions known to read pages with it
    (``_sphinx/encoding.py``). A newer Sphinx fails here, so the guard is looked at again."""
    low, high = SPHINX_READS_WITH_INPUT_ENCODING
    assert low <= sphinx.version_info[:2] <= high, sphinx.__version__
    import inspect

    from sphinx.builders import Builder

    assert "env.settings['input_encoding']" in inspect.getsource(Builder.read_doc)


def test_the_package_is_typed():
    assert (PACKAGE / "py.typed").is_file()
