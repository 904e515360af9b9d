"""The documentation site builds with `mkdocs build --strict` and documents every public name.

The strict build fails on a broken reference, link or anchor, and on any warning
of mkdocstrings (a docstring argument the signature lacks, say), so the README's
test command and CI catch them. It runs once per session, into a temporary
directory; the other tests read the HTML it made.
"""

from __future__ import annotations

import html
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType

import pytest

import i3x
import i3x.testing

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "reference"
DIRECTIVE = re.compile(r"^::: (\S+)", re.MULTILINE)


PUBLIC_SUBMODULES = ("i3x.codegen", "i3x.models", "i3x.errors", "i3x.client")
"""Public modules besides `i3x` and `i3x.testing`, documented whole by one `:::` entry."""


def _public_names() -> set[str]:
    return (
        {f"i3x.{name}" for name in i3x.__all__}
        | {f"i3x.testing.{name}" for name in i3x.testing.__all__}
        | set(PUBLIC_SUBMODULES)
    )


def _directives() -> list[str]:
    """Every `::: identifier` of the reference pages, in page order."""
    return [
        match.group(1)
        for page in sorted(REFERENCE.glob("*.md"))
        for match in DIRECTIVE.finditer(page.read_text(encoding="utf-8"))
    ]


def _is_public_path(identifier: str) -> bool:
    """`i3x.Client`, `i3x.testing.DemoServer`, `i3x.__version__`; not `i3x._models.X`."""
    parts = identifier.split(".")
    return all(not p.startswith("_") or (p.startswith("__") and p.endswith("__")) for p in parts)


def test_reference_pages_document_every_public_name_once() -> None:
    directives = _directives()
    documented = {d for d in directives if _is_public_path(d)} - {"i3x", "i3x.testing"}
    missing = sorted(_public_names() - documented)
    assert not missing, (
        f"public names without a reference entry: {missing}; add `::: NAME` to a page "
        "of docs/reference/"
    )
    stale = sorted(documented - _public_names())
    assert not stale, f"docs/reference/ documents names that are not public: {stale}"
    twice = sorted(d for d, n in Counter(directives).items() if n > 1)
    assert not twice, f"documented twice: {twice}"


# ---------------------------------------------------------------- the strict build


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built with --strict into a temporary directory."""
    target = tmp_path_factory.mktemp("site")
    # Material prints a banner about MkDocs 2 on every build; it says nothing about ours.
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(target)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    if "No module named mkdocs" in result.stderr:
        pytest.fail("mkdocs is not installed: install the dev extra (pip install -e '.[dev]')")
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr}"
    return target


class _Ids(HTMLParser):
    """The `id` of every element of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids.update(value for name, value in attrs if name == "id" and value)


def _page(site: Path, name: str) -> str:
    return (site / name / "index.html" if name else site / "index.html").read_text(encoding="utf-8")


def _text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def test_every_public_name_has_an_entry_in_the_built_reference(site: Path) -> None:
    parser = _Ids()
    for page in (site / "reference").rglob("index.html"):
        parser.feed(page.read_text(encoding="utf-8"))
    missing = sorted(_public_names() - parser.ids)
    assert not missing, f"no heading rendered for {missing}"


def _section(page: str, identifier: str) -> str:
    """The HTML of one object's entry: from its heading to the next heading of an object."""
    start = page.index(">", page.index(f'id="{identifier}"'))
    end = page.find('class="doc doc-heading"', start)
    return page[start : end if end != -1 else len(page)]


def test_reference_documents_client_get_value_with_its_max_depth_argument(site: Path) -> None:
    entry = _text(_section(_page(site, "reference/client"), "i3x.Client.get_value"))
    flat = re.sub(r"\s+", " ", entry)
    assert "Parameters:" in flat, f"get_value documents no arguments: {flat}"
    signature, parameters = flat.split("Parameters:", 1)
    assert re.search(r"get_value\( element_id: str, max_depth: int = 1\b.*\) ->", signature)
    # The table row: name, type, description, default.
    assert re.search(r"\bmax_depth int \S.* 1\b", parameters), parameters


def test_home_page_is_the_readme_with_site_links(site: Path) -> None:
    home = _page(site, "")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    headings = {_text(h).replace("¶", "").strip() for h in re.findall(r"<h2.*?</h2>", home)}
    for heading in re.findall(r"^## (.+)$", readme, re.MULTILINE):
        assert heading.replace("`", "") in headings
    links = set(re.findall(r'href="([^"]+)"', home))
    # The README's docs/models.md and bench/README.md, as the site's pages.
    assert {"models/", "testing/", "cli/", "migration/", "benchmarks/"} <= links
    assert not [link for link in links if "docs/" in link or link.endswith(".md")]


# ------------------------------------------------------------------- benchmarks page

BENCH_RESULTS = ROOT / "docs" / "bench" / "results.json"


@pytest.fixture(scope="module")
def hooks() -> Iterator[ModuleType]:
    """mkdocs_hooks.py, which lives next to mkdocs.yml rather than in a package."""
    spec = importlib.util.spec_from_file_location("mkdocs_hooks", ROOT / "mkdocs_hooks.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Its dataclasses look their module up while they are created.
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def test_benchmarks_page_shows_the_published_run(site: Path) -> None:
    results = json.loads(BENCH_RESULTS.read_text(encoding="utf-8"))
    decode = results["benchmarks"]["decode"]["mock"]
    page = _page(site, "benchmarks")
    text = _text(page)
    assert "<svg" in page
    assert results["command"] in text
    assert results["when"][:10] in text
    ratio = decode["ours"]["median_s"] / decode["ref"]["median_s"]
    assert re.search(rf"<td[^>]*>{ratio:.2f}</td>", page), f"no cell with {ratio:.2f}"


def test_benchmarks_chart_marks_where_the_reference_is_ahead(
    hooks: ModuleType, tmp_path: Path
) -> None:
    results = json.loads(BENCH_RESULTS.read_text(encoding="utf-8"))
    decode = results["benchmarks"]["decode"]["mock"]
    decode["ours"]["median_s"], decode["ref"]["median_s"] = 0.4, 0.1  # ours 4x slower
    calls = results["benchmarks"]["async"]["runs"]
    calls["ours"]["calls_per_s"], calls["ref"]["calls_per_s"] = 3000.0, 1000.0
    changed = tmp_path / "results.json"
    changed.write_text(json.dumps(results))

    rendered = hooks.bench_results(changed)

    bar = re.compile(r'<rect [^>]*fill="(#\w+)"><title>([^<]+)</title>')
    bars = {title: colour for colour, title in bar.findall(rendered)}
    time_bar = next(t for t in bars if "objects: time" in t)
    calls_bar = next(t for t in bars if "in flight" in t)
    assert time_bar.endswith(": 0.25x")
    assert bars[time_bar] == hooks.WORSE
    assert calls_bar.endswith(": 3.00x")
    assert bars[calls_bar] == hooks.BETTER
    assert "| 4.00 |" in rendered  # the table keeps bench/run.py's ours / reference


def test_benchmarks_page_refuses_results_without_a_figure(
    hooks: ModuleType, tmp_path: Path
) -> None:
    results = json.loads(BENCH_RESULTS.read_text(encoding="utf-8"))
    del results["benchmarks"]["subscribe"]["drain"]["stream"]
    partial = tmp_path / "results.json"
    partial.write_text(json.dumps(results))

    with pytest.raises(Exception, match=r"no benchmarks\.subscribe\.drain\.stream") as raised:
        hooks.bench_results(partial)
    assert type(raised.value).__name__ == "PluginError"  # mkdocs stops the build on it


@pytest.mark.parametrize(
    ("readme", "readme_only"), [("README.md", True), ("bench/README.md", False)]
)
def test_readme_tables_are_the_published_run(
    hooks: ModuleType, readme: str, readme_only: bool
) -> None:
    # bench/run.py --publish writes them from results.json: never typed by hand.
    text = (ROOT / readme).read_text(encoding="utf-8")
    block = text.split("<!-- bench-table: begin -->\n")[1].split("<!-- bench-table: end -->")[0]
    assert block == hooks.results_table(BENCH_RESULTS, readme_only=readme_only) + "\n"
    checks = json.loads(BENCH_RESULTS.read_text(encoding="utf-8"))["checks"]
    help_check = next(c for c in checks if c["name"] == "i3x --help seconds")
    status = "met" if help_check["status"] == "PASS" else "missed"
    assert f"| - | - | <= 0.25 s: {status} |" in block  # a row without a reference


def test_readme_links_become_the_site_pages(hooks: ModuleType) -> None:
    markdown = (
        "[models](docs/models.md), [bench](bench/README.md), [retries](#retries-and-timeouts), "
        "[anchor](docs/testing.md#fault-injection), [web](https://www.cesmii.org/), "
        "[other](LICENSE)"
    )
    assert hooks.LINK.sub(hooks._site_link, markdown) == (
        "[models](models.md), [bench](benchmarks.md), [retries](#retries-and-timeouts), "
        "[anchor](testing.md#fault-injection), [web](https://www.cesmii.org/), "
        "[other](LICENSE)"
    )
