"""docs/migration.md's list of the reference client's tests that fail here, checked fast.

`nox -s compat` runs the reference client's tests (downloaded, never kept here) and
compares; these tests check the list itself and the comparison, offline. Where a
downloaded copy of the reference client is at hand (`I3X_REFERENCE_SDIST`, an unpacked
sdist or its tarball, or where `nox -s compat` leaves it), they also check that every
name is one of its tests.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from .suite import (
    MIGRATION,
    ROOT,
    TEST_FILES,
    judge,
    known_failures,
    outcomes_from_junit,
    reference_tests,
    unpack,
)

NAMED = known_failures(MIGRATION.read_text("utf-8"))


def test_migration_md_names_the_reference_tests_that_fail_here() -> None:
    assert len(NAMED) >= 10
    for name, reason in NAMED.items():
        assert name.startswith(tuple(f"{f}::" for f in TEST_FILES)), name
        assert len(reason) > 20, f"{name}: give the reason"


def test_a_row_may_name_several_tests_and_other_tables_are_left_alone() -> None:
    markdown = """
| Reference 1.0 | i3x |
|---|---|
| `get_value()` returns `CurrentValue` | `LastKnownValue` |

| Test | Why |
|---|---|
| `tests/test_client.py::TestA::test_one` | strings |
| `tests/test_client.py::TestA::test_two`<br>`tests/test_models.py::test_three[0.9]` | typed |
"""
    assert known_failures(markdown) == {
        "tests/test_client.py::TestA::test_one": "strings",
        "tests/test_client.py::TestA::test_two": "typed",
        "tests/test_models.py::test_three[0.9]": "typed",
    }


@pytest.mark.parametrize(
    ("markdown", "error"),
    [
        (
            "| `tests/test_client.py::T::a` | x |\n| `tests/test_client.py::T::a` | y |",
            "named twice",
        ),
        ("| `tests/test_client.py::T::a` |  |", "without a reason"),
    ],
)
def test_a_list_that_cannot_stay_true_is_refused(markdown: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        known_failures(markdown)


def test_judge_reports_unnamed_failures_named_passes_and_names_that_did_not_run() -> None:
    outcomes = {"t::fails_named": False, "t::fails_unnamed": False, "t::passes_named": True}
    verdict = judge(outcomes, ["t::fails_named", "t::passes_named", "t::gone"])
    assert verdict.unexpected == ["t::fails_unnamed"]
    assert verdict.now_passing == ["t::passes_named"]
    assert verdict.not_run == ["t::gone"]
    assert not verdict.ok
    assert judge({"t::a": False, "t::b": True}, ["t::a"]).ok


def test_outcomes_from_pytests_junit_report(tmp_path: Path) -> None:
    report = tmp_path / "report.xml"
    report.write_text(
        """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="tests.test_client.TestA" name="test_ok" file="tests/test_client.py" line="3"/>
<testcase classname="tests.test_client.TestA" name="test_p[0.9]" file="tests/test_client.py" line="5">
  <failure message="no">no</failure></testcase>
<testcase classname="tests.test_client.TestA" name="test_teardown" file="tests/test_client.py" line="7"/>
<testcase classname="tests.test_client.TestA" name="test_teardown" file="tests/test_client.py" line="7">
  <error message="teardown">teardown</error></testcase>
<testcase classname="tests.test_models" name="test_module_level" file="tests/test_models.py" line="1"/>
<testcase classname="tests.test_models" name="test_skipped" file="tests/test_models.py" line="2">
  <skipped message="no"/></testcase>
</testsuite></testsuites>""",
        encoding="utf-8",
    )
    assert outcomes_from_junit(report) == {
        "tests/test_client.py::TestA::test_ok": True,
        "tests/test_client.py::TestA::test_p[0.9]": False,
        "tests/test_client.py::TestA::test_teardown": False,
        "tests/test_models.py::test_module_level": True,
    }


def test_reference_tests_reads_classes_functions_and_parametrize_ids(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_client.py").write_text(
        """
import pytest

class TestA:
    def test_one(self): ...

    @pytest.mark.parametrize("v", ["1.0-beta", "0.9", 3])
    def test_versions(self, v): ...

    def helper(self): ...

@pytest.mark.parametrize(("a", "b"), [(1, "x"), (2, "y")])
def test_pairs(a, b): ...
""",
        encoding="utf-8",
    )
    (tmp_path / "tests" / "test_models.py").write_text("def test_m(): ...\n", encoding="utf-8")
    assert reference_tests(tmp_path) == [
        "tests/test_client.py::TestA::test_one",
        "tests/test_client.py::TestA::test_versions[1.0-beta]",
        "tests/test_client.py::TestA::test_versions[0.9]",
        "tests/test_client.py::TestA::test_versions[3]",
        "tests/test_client.py::test_pairs[1-x]",
        "tests/test_client.py::test_pairs[2-y]",
        "tests/test_models.py::test_m",
    ]


def _downloaded_copy(tmp_path: Path) -> Path | None:
    given = os.environ.get("I3X_REFERENCE_SDIST")
    if given:
        return unpack(Path(given), tmp_path)
    left_by_nox = ROOT / ".nox" / "compat" / "tmp" / "i3x_client-1.0.0"
    return left_by_nox if (left_by_nox / "tests").is_dir() else None


def test_every_name_is_a_test_of_the_downloaded_reference_client(tmp_path: Path) -> None:
    sdist = _downloaded_copy(tmp_path)
    if sdist is None:
        pytest.skip("no downloaded reference client: run nox -s compat, or set I3X_REFERENCE_SDIST")
    tests = reference_tests(sdist)
    assert sorted(set(NAMED) - set(tests)) == []
    assert len(NAMED) <= len(tests) // 3, "at least two thirds of its tests pass here"
    # The guide's count says the same as its table.
    said = re.search(r"(\d+) of the (\d+) pass", MIGRATION.read_text("utf-8"))
    assert said is not None
    assert (int(said[1]), int(said[2])) == (len(tests) - len(NAMED), len(tests))


def test_unpack_takes_the_tarball_pip_downloads(tmp_path: Path) -> None:
    import tarfile

    source = tmp_path / "src" / "i3x_client-1.0.0" / "tests"
    source.mkdir(parents=True)
    (source / "test_client.py").write_text("def test_x(): ...\n", encoding="utf-8")
    tarball = tmp_path / "i3x_client-1.0.0.tar.gz"
    with tarfile.open(tarball, "w:gz") as archive:
        archive.add(source.parent, arcname="i3x_client-1.0.0")

    root = unpack(tarball, tmp_path / "work")

    assert root == tmp_path / "work" / "i3x_client-1.0.0"
    assert (root / "tests" / "test_client.py").read_text("utf-8") == "def test_x(): ...\n"
    assert unpack(root, tmp_path / "elsewhere") == root, "an unpacked copy is used as it is"
