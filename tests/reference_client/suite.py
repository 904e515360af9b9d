"""Run the 1.0 reference client's own tests against this package; check docs/migration.md.

`nox -s compat` downloads the source distribution of `i3x-client==1.0.0` (the
reference client) and runs this script on it:

    python tests/reference_client/suite.py path/to/i3x_client-1.0.0.tar.gz --work DIR

It copies the sdist's `tests/` unchanged into a directory of its own (with an empty
`pytest.ini`, so that neither this repository's pytest settings nor the sdist's code
apply: `import i3x` is this package), runs `tests/test_client.py` and
`tests/test_models.py` there, and compares what failed with the tests that
docs/migration.md names. It exits non-zero when a test fails that migration.md does not
name, when a test it names passes (the list must stay true), or when it names a test
that did not run.

Nothing of the reference client is kept in this repository; the same functions serve
the fast unit test of the list (test_migration_list.py).
"""

from __future__ import annotations

import argparse
import ast
import re
import shutil
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MIGRATION = ROOT / "docs" / "migration.md"
TEST_FILES = ("tests/test_client.py", "tests/test_models.py")
"""The reference client's test files that run here (its transport tests test its own internals)."""

_ROW = re.compile(r"^\|(?P<names>[^|]*`tests/test_\w+\.py::[^|]*)\|(?P<reason>[^|]*)\|\s*$")
_NAME = re.compile(r"`(tests/test_\w+\.py::[^`\s]+)`")


def known_failures(markdown: str) -> dict[str, str]:
    """The reference tests that docs/migration.md names, each with its reason.

    A name is a pytest node id in backticks, `tests/test_client.py::Class::test`, in the
    first cell of a table row; a row may name several tests (one reason for all). The
    second cell is the reason.

    Raises:
        ValueError: A test is named twice, or a row gives no reason.
    """
    found: dict[str, str] = {}
    for number, line in enumerate(markdown.splitlines(), 1):
        row = _ROW.match(line)
        if row is None:
            continue
        reason = row["reason"].strip()
        if not reason:
            raise ValueError(f"migration.md line {number}: a named test without a reason")
        for name in _NAME.findall(row["names"]):
            if name in found:
                raise ValueError(f"migration.md line {number}: {name} is named twice")
            found[name] = reason
    return found


def _parametrize_ids(decorator: ast.expr) -> list[str] | None:
    """The ids pytest gives `@pytest.mark.parametrize(names, [literal values])`."""
    if not (
        isinstance(decorator, ast.Call)
        and ast.unparse(decorator.func).endswith("mark.parametrize")
        and len(decorator.args) >= 2
    ):
        return None
    try:
        values = ast.literal_eval(decorator.args[1])
    except ValueError:
        return None

    def one(value: object, index: int) -> str:
        if isinstance(value, str | int | float | bool) or value is None:
            return str(value)
        return f"{index}"

    return [
        "-".join(one(v, i) for v in value) if isinstance(value, tuple) else one(value, i)
        for i, value in enumerate(values)
    ]


def _functions(body: Iterable[ast.stmt], prefix: str) -> Iterable[str]:
    for node in body:
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            yield from _functions(node.body, f"{prefix}::{node.name}")
        elif isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            ids = next(
                (i for i in map(_parametrize_ids, node.decorator_list) if i is not None), None
            )
            if ids is None:
                yield f"{prefix}::{node.name}"
            else:
                yield from (f"{prefix}::{node.name}[{i}]" for i in ids)


def reference_tests(sdist: Path) -> list[str]:
    """The node ids of the tests in the sdist's test files, read without importing them."""
    return [
        name
        for relative in TEST_FILES
        for name in _functions(ast.parse((sdist / relative).read_text("utf-8")).body, relative)
    ]


@dataclass(frozen=True)
class Verdict:
    """What a run says about docs/migration.md's list."""

    passed: list[str]
    failed: list[str]
    unexpected: list[str]
    """Failed, and not named in migration.md."""
    now_passing: list[str]
    """Named in migration.md, and passed."""
    not_run: list[str]
    """Named in migration.md, and not in the run at all."""

    @property
    def ok(self) -> bool:
        """Whether migration.md names exactly the tests that failed."""
        return not (self.unexpected or self.now_passing or self.not_run)


def judge(outcomes: Mapping[str, bool], named: Iterable[str]) -> Verdict:
    """Compare a run's outcomes (node id: passed) with the names of migration.md."""
    named = set(named)
    passed = [n for n, ok in outcomes.items() if ok]
    failed = [n for n, ok in outcomes.items() if not ok]
    return Verdict(
        passed=passed,
        failed=failed,
        unexpected=[n for n in failed if n not in named],
        now_passing=[n for n in passed if n in named],
        not_run=sorted(named - set(outcomes)),
    )


def outcomes_from_junit(report: Path) -> dict[str, bool]:
    """Node id: passed, from pytest's `--junitxml` report (`junit_family=xunit1`).

    A test that failed in any phase (setup, call, teardown) failed; a skipped one is
    left out.
    """
    results: dict[str, bool] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        file = case.get("file")
        classname, name = case.get("classname", ""), case.get("name", "")
        if file is None:
            continue
        module = file.removesuffix(".py").replace("/", ".")
        classes = classname.removeprefix(module).lstrip(".")
        node = "::".join(p for p in (file, classes.replace(".", "::"), name) if p)
        if case.find("skipped") is not None:
            continue
        broken = case.find("failure") is not None or case.find("error") is not None
        results[node] = results.get(node, True) and not broken
    return results


def unpack(sdist: Path, work: Path) -> Path:
    """The sdist's root directory, unpacked into `work` unless `sdist` is one already."""
    if sdist.is_dir():
        return sdist
    with tarfile.open(sdist) as archive:
        top = archive.getnames()[0].split("/")[0]
        target = work / top
        if not target.exists():
            archive.extractall(work, filter="data")
    return target


def run(sdist_root: Path, work: Path) -> dict[str, bool]:
    """Run the reference test files, unchanged, against the installed `i3x`."""
    here = work.resolve() / "run"  # pytest runs in it: a relative report path would move
    shutil.rmtree(here, ignore_errors=True)
    shutil.copytree(sdist_root / "tests", here / "tests")
    # An empty configuration of its own: this repository's pytest settings (warnings as
    # errors, strict markers) are not the reference client's.
    (here / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    report = here / "report.xml"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        "-o",
        "junit_family=xunit1",
        f"--junitxml={report}",
        *TEST_FILES,
    ]
    result = subprocess.run(command, cwd=here, check=False)
    if result.returncode not in (0, 1) or not report.exists():
        raise SystemExit(f"pytest could not run the reference tests (exit {result.returncode})")
    return outcomes_from_junit(report)


def main(argv: list[str] | None = None) -> int:
    """Run the reference tests and report against docs/migration.md; 0 when it is true."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sdist", type=Path, help="i3x_client-1.0.0.tar.gz, or it unpacked")
    parser.add_argument("--work", type=Path, required=True, help="a directory to run in")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    root = unpack(args.sdist, args.work)
    named = known_failures(MIGRATION.read_text("utf-8"))
    outcomes = run(root, args.work)
    verdict = judge(outcomes, named)
    total = len(outcomes)
    print(
        f"\nreference client tests: {len(verdict.passed)} of {total} pass, "
        f"{len(verdict.failed)} fail; docs/migration.md names {len(named)}"
    )
    for title, names in (
        ("failed, and docs/migration.md does not name them (fix them, or name them with the reason)", verdict.unexpected),
        ("pass now, and docs/migration.md still names them (take them out)", verdict.now_passing),
        ("named in docs/migration.md, but no such test ran", verdict.not_run),
    ):  # fmt: skip
        if names:
            print(f"\n{len(names)} {title}:")
            print("\n".join(f"  {n}" for n in names))
    if verdict.ok:
        print("docs/migration.md names exactly the tests that fail.")
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
