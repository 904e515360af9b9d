"""Development sessions: `nox -s tests typecheck lint docs bench compat`.

`tests`, `typecheck` and `lint` are what CI runs (`nox` alone runs them); `docs`
builds the documentation site into `site/` with `mkdocs build --strict` (the test
suite builds it too) and runs its examples; `bench` measures this SDK side by side
with the reference client `i3x-client==1.0.0`, installed into its own virtualenv
because both import as `i3x` (`nox -s bench -- --publish` updates the site's
Benchmarks page and the tables of README.md and bench/README.md); `compat` downloads the
reference client's source distribution and runs its own tests against this package, failing
on any failure that docs/migration.md does not name (and on any test it names that passes).
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["tests", "typecheck", "lint"]
nox.options.reuse_existing_virtualenvs = True

REFERENCE = "i3x-client==1.0.0"


@nox.session
def tests(session: nox.Session) -> None:
    """Run the whole test suite (unit, embedded-server integration, server, CLI)."""
    session.install("-e", ".[dev]")
    session.run("pytest", *session.posargs)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over src/, tests/ and the site's hooks."""
    session.install("-e", ".[dev]")
    session.run("mypy", "src", "tests", "mkdocs_hooks.py")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff lint and format check."""
    session.install("ruff>=0.8")
    targets = ["src", "tests", "bench", "noxfile.py", "mkdocs_hooks.py"]
    session.run("ruff", "check", *targets)
    session.run("ruff", "format", "--check", *targets)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the site into site/ with --strict, then run every Python example in it."""
    session.install("-e", ".[dev]")
    session.run("mkdocs", "build", "--strict", env={"NO_MKDOCS_2_WARNING": "1"})
    session.run("pytest", "tests/test_docs_examples.py", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against the reference client in the same run; prints times and ratios."""
    # The cli extra for `i3x --help`; the import figures come from a second virtualenv
    # with no extra, as a plain `pip install i3x-client` has (with click, rich and
    # pygments installed, `import httpx` imports its own command line too).
    session.install("-e", ".[server,cli]")
    tmp = Path(session.create_tmp())
    reference, core = tmp / "reference", tmp / "core"
    if not (reference / "bin" / "python").exists():
        session.run("python", "-m", "venv", str(reference), external=True)
        session.run(str(reference / "bin" / "pip"), "install", "-q", REFERENCE, external=True)
    if not (core / "bin" / "python").exists():
        session.run("python", "-m", "venv", str(core), external=True)
    session.run(str(core / "bin" / "pip"), "install", "-q", "-e", ".", external=True)
    session.run(
        "python",
        "bench/run.py",
        "--reference-python",
        str(reference / "bin" / "python"),
        "--core-python",
        str(core / "bin" / "python"),
        *session.posargs,
    )


@nox.session
def compat(session: nox.Session) -> None:
    """The reference client's own tests against this package, checked against docs/migration.md."""
    # pytest and respx at the bounds of the dev extra: the reference tests need no more.
    session.install("-e", ".", "pytest>=8.2", "respx>=0.22")
    tmp = Path(session.create_tmp())
    downloads = tmp / "downloads"
    sdists = sorted(downloads.glob("i3x_client-1.0.0.tar.gz"))
    if not sdists:
        session.run(
            "python", "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
            REFERENCE, "--dest", str(downloads),
        )  # fmt: skip
        sdists = sorted(downloads.glob("i3x_client-1.0.0.tar.gz"))
    # Unpacked into tmp/, where tests/reference_client/test_migration_list.py finds it.
    session.run(
        "python", "tests/reference_client/suite.py", str(sdists[0]), "--work", str(tmp)
    )  # fmt: skip
