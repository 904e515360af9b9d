"""Every Python example of the site (README.md and docs/) runs, against the embedded demo plant.

Examples address `http://localhost:8080` (where `i3x demo` serves); here they
get a live DemoServer on a free port instead, ticking so that subscriptions see changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from i3x.testing import DemoServer

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# Every page of the site: the README is its home page, docs/ holds the rest.
DOCUMENTS = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def _examples() -> Iterator[object]:
    for document in DOCUMENTS:
        name = document.relative_to(DOCS if document.is_relative_to(DOCS) else ROOT)
        for number, match in enumerate(BLOCK.finditer(document.read_text()), start=1):
            code = match.group(1)
            if "# not run" not in code:
                where = f"{name}:{number}"
                yield pytest.param(where, code, id=where)


@pytest.fixture(scope="module")
def live_server() -> Iterator[DemoServer]:
    with DemoServer(ticking=True, tick_interval=0.2) as server:
        yield server


@pytest.mark.parametrize(("where", "code"), list(_examples()))
def test_example_runs(where: str, code: str, live_server: DemoServer) -> None:
    source = code.replace("http://localhost:8080", live_server.url)
    exec(compile(source, where, "exec"), {"__name__": "__example__"})
