"""MkDocs hooks of the documentation site (`hooks:` in mkdocs.yml).

Two pages are filled in at build time, so that the site repeats nothing by hand:

- `docs/index.md` (the home page) is README.md, whose links are written for the
  repository: `docs/models.md` becomes `models.md`, `bench/README.md` the
  Benchmarks page.
- `docs/benchmarks.md` gets a chart and a table rendered from
  `docs/bench/results.json`, which `bench/run.py --publish` writes.

`bench/run.py --publish` renders the tables of README.md and bench/README.md with
`results_table()` too, so that every published figure comes from one place; it
runs without mkdocs installed, hence mkdocs' names imported only where needed.

A page asks for them with a line of its own: `<!-- site: readme -->` or
`<!-- site: bench-results -->`.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parent
README = ROOT / "README.md"
BENCH_RESULTS = ROOT / "docs" / "bench" / "results.json"

MARKER = re.compile(r"^<!-- site: ([a-z-]+) -->$", re.MULTILINE)

# Repository paths the README links to, as the site's pages.
README_LINKS = {"bench/README.md": "benchmarks.md"}
LINK = re.compile(r"\]\((?!https?:|mailto:|#)([^)\s#]+)(#[^)\s]*)?\)")


def on_page_markdown(markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Replace each `<!-- site: NAME -->` line with what NAME renders."""

    def render(match: re.Match[str]) -> str:
        renderer = RENDERERS.get(match.group(1))
        if renderer is None:
            raise _error(f"{page.file.src_uri}: no renderer for {match.group(0)}")
        return renderer()

    return MARKER.sub(render, markdown)


def _error(message: str) -> Exception:
    """mkdocs' `PluginError`, which stops a build; a `LookupError` where mkdocs is absent."""
    try:
        from mkdocs.exceptions import PluginError
    except ImportError:  # bench/run.py --publish, in the bench's virtualenv
        return LookupError(message)
    return PluginError(message)


# ------------------------------------------------------------------------ README


def readme() -> str:
    """README.md with its repository-relative links pointed at the site's pages."""
    return LINK.sub(_site_link, README.read_text(encoding="utf-8"))


def _site_link(match: re.Match[str]) -> str:
    target, anchor = match.group(1), match.group(2) or ""
    if target in README_LINKS:
        target = README_LINKS[target]
    elif target.startswith("docs/"):
        target = target.removeprefix("docs/")
    # Anything else stays as it is, and the strict build reports it as not found.
    return f"]({target}{anchor})"


# -------------------------------------------------------------------- benchmarks


@dataclass(frozen=True)
class Metric:
    """One row of the benchmarks tables: ours against the reference, from results.json."""

    label: str
    ours: tuple[str, ...]
    reference: tuple[str, ...] | None  # None: the reference has no such thing
    unit: str
    higher_is_better: bool
    check: str | None = None  # the name of bench/run.py's Check with the goal, if any
    readme: bool = False  # also a row of the README's table


DECODE = ("decode", "mock")
LOOPBACK = ("decode", "loopback")
LIVE = ("subscribe", "live")
DRAIN = ("subscribe", "drain")
PER_EVENT_LIVE = ("subscribe", "per_event", "live")
PER_EVENT_DRAIN = ("subscribe", "per_event", "drain")
CALLS = ("async", "runs")
IMPORTS = ("startup", "imports")

METRICS = [
    Metric(
        "decode {objects:,} objects: time",
        (*DECODE, "ours", "median_s"),
        (*DECODE, "ref", "median_s"),
        "ms",
        False,
        "decode time ours/ref (mock)",
        readme=True,
    ),
    Metric(
        "decode {objects:,} objects: peak memory",
        (*DECODE, "ours", "peak_bytes"),
        (*DECODE, "ref", "peak_bytes"),
        "MB",
        False,
        "decode peak memory ours/ref (mock)",
        readme=True,
    ),
    Metric(
        "decode {objects:,} objects over HTTP: time",
        (*LOOPBACK, "ours", "median_s"),
        (*LOOPBACK, "ref", "median_s"),
        "ms",
        False,
    ),
    Metric(
        '{updates:,} updates, live, mode="sync"',
        (*LIVE, "sync", "updates_per_s"),
        (*LIVE, "ref", "updates_per_s"),
        "/s",
        True,
        "subscribe sync rate ours/ref",
        readme=True,
    ),
    Metric(
        '{updates:,} updates, drain, mode="sync"',
        (*DRAIN, "sync", "updates_per_s"),
        (*DRAIN, "ref", "updates_per_s"),
        "/s",
        True,
    ),
    Metric(
        '{updates:,} updates, live, mode="stream"',
        (*LIVE, "stream", "updates_per_s"),
        (*LIVE, "ref", "updates_per_s"),
        "/s",
        True,
        "stream rate ours/ref (live)",
        readme=True,
    ),
    Metric(
        '{updates:,} updates, drain, mode="stream"',
        (*DRAIN, "stream", "updates_per_s"),
        (*DRAIN, "ref", "updates_per_s"),
        "/s",
        True,
        "stream rate ours/ref (drain)",
        readme=True,
    ),
    Metric(
        'client CPU per update, live, mode="stream"',
        (*LIVE, "stream", "client_cpu_s_per_update"),
        (*LIVE, "ref", "client_cpu_s_per_update"),
        "µs",
        False,
        "stream client CPU/update ours/ref (live)",
        readme=True,
    ),
    Metric(
        'client CPU per update, drain, mode="stream"',
        (*DRAIN, "stream", "client_cpu_s_per_update"),
        (*DRAIN, "ref", "client_cpu_s_per_update"),
        "µs",
        False,
        "stream client CPU/update ours/ref (drain)",
        readme=True,
    ),
    Metric(
        '{updates:,} updates, live, mode="stream", a server writing a chunk per event',
        (*PER_EVENT_LIVE, "stream", "updates_per_s"),
        (*PER_EVENT_LIVE, "ref", "updates_per_s"),
        "/s",
        True,
        readme=True,
    ),
    Metric(
        '{updates:,} updates, drain, mode="stream", a server writing a chunk per event',
        (*PER_EVENT_DRAIN, "stream", "updates_per_s"),
        (*PER_EVENT_DRAIN, "ref", "updates_per_s"),
        "/s",
        True,
    ),
    Metric(
        'client CPU per update, drain, mode="stream", a server writing a chunk per event',
        (*PER_EVENT_DRAIN, "stream", "client_cpu_s_per_update"),
        (*PER_EVENT_DRAIN, "ref", "client_cpu_s_per_update"),
        "µs",
        False,
        readme=True,
    ),
    Metric(
        'client CPU per update, live, mode="sync"',
        (*LIVE, "sync", "client_cpu_s_per_update"),
        (*LIVE, "ref", "client_cpu_s_per_update"),
        "µs",
        False,
    ),
    Metric(
        'client CPU per update, drain, mode="sync"',
        (*DRAIN, "sync", "client_cpu_s_per_update"),
        (*DRAIN, "ref", "client_cpu_s_per_update"),
        "µs",
        False,
    ),
    Metric(
        "{calls:,} get_value, AsyncClient, {concurrency} in flight",
        (*CALLS, "ours", "calls_per_s"),
        (*CALLS, "ref", "calls_per_s"),
        "/s",
        True,
        "async calls/s ours/ref",
        readme=True,
    ),
    Metric(
        "{calls:,} get_value, Client, one by one",
        (*CALLS, "ours_seq", "calls_per_s"),
        (*CALLS, "ref", "calls_per_s"),
        "/s",
        True,
    ),
    Metric(
        "import i3x",
        (*IMPORTS, "ours", "import_s"),
        (*IMPORTS, "ref", "import_s"),
        "ms",
        False,
        "import i3x ours/ref",
        readme=True,
    ),
    Metric(
        "import i3x, then i3x.Client",
        (*IMPORTS, "ours", "client_s"),
        (*IMPORTS, "ref", "client_s"),
        "ms",
        False,
        "import i3x + i3x.Client ours/ref",
        readme=True,
    ),
    Metric(
        "i3x --help (the whole process)",
        ("startup", "help", "process_s"),
        None,
        "ms",
        False,
        "i3x --help seconds",
        readme=True,
    ),
]


@dataclass(frozen=True)
class Row:
    label: str
    metric: Metric
    ours: float
    reference: float | None
    spread: list[float] | None  # ours / reference, lowest and highest round

    @property
    def ratio(self) -> float | None:
        """Ours / reference, as bench/run.py reports it."""
        return self.ours / self.reference if self.reference else None

    @property
    def advantage(self) -> float:
        """How many times better than the reference (below 1: the reference is better)."""
        assert self.ratio is not None
        return self.ratio if self.metric.higher_is_better else 1 / self.ratio


def bench_results(path: Path = BENCH_RESULTS) -> str:
    """The chart, the table and the conditions of the published benchmark run."""
    results = _load(path)
    rows = _rows(results, path)
    reference = f"i3x-client {results['versions']['reference']['i3x']}"
    compared = [r for r in rows if r.ratio is not None]
    parts = [_caption(results), _chart(compared, reference), _table(rows, results, reference)]
    return "\n\n".join(parts) + "\n"


def results_table(path: Path = BENCH_RESULTS, *, readme_only: bool = False) -> str:
    """The table of a published run with a line on its conditions, for README files.

    Args:
        path: The published results (`docs/bench/results.json`).
        readme_only: Only the rows the README shows.

    Returns:
        Markdown: one line on the run, then the table.
    """
    results = _load(path)
    rows = [r for r in _rows(results, path) if r.metric.readme or not readme_only]
    reference = f"i3x-client {results['versions']['reference']['i3x']}"
    return _caption(results) + "\n\n" + _table(rows, results, reference)


def _load(path: Path) -> dict[str, Any]:
    try:
        results: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _error(f"cannot read the benchmark results {path}: {exc}") from exc
    return results


def _rows(results: dict[str, Any], path: Path) -> list[Row]:
    sizes = {
        "objects": _get(results, path, ("decode", "objects")),
        "updates": _get(results, path, ("subscribe", "updates")),
        "calls": _get(results, path, ("async", "calls")),
        "concurrency": _get(results, path, ("async", "concurrency")),
    }
    rows = []
    for m in METRICS:
        figure = _get(results, path, m.ours[:-1])
        spread = (
            figure.get("ratio_spread", {}).get(m.ours[-1]) if isinstance(figure, dict) else None
        )
        rows.append(
            Row(
                m.label.format(**sizes),
                m,
                float(_get(results, path, m.ours)),
                float(_get(results, path, m.reference)) if m.reference else None,
                spread,
            )
        )
    return rows


def _get(results: dict[str, Any], path: Path, keys: tuple[str, ...]) -> Any:
    node: Any = results.get("benchmarks", {})
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            where = ".".join(("benchmarks", *keys))
            raise _error(f"{path} has no {where}: publish a full run of bench/run.py")
        node = node[key]
    return node


def _caption(results: dict[str, Any]) -> str:
    when = datetime.fromisoformat(results["when"])
    ours, ref = results["versions"]["ours"], results["versions"]["reference"]
    machine = results["machine"]
    load = results.get("load_average")
    lines = [
        f"Measured on {when:%Y-%m-%d at %H:%M} UTC with `{results.get('command', 'bench/run.py')}`"
        " (what `nox -s bench -- --publish` runs): i3x "
        f"{ours['i3x']} against the reference client i3x-client {ref['i3x']}, "
        f"Python {ours['python']}, httpx {ours['httpx']} (reference: {ref['httpx']}), "
        f"{machine['cpus']} CPUs, {machine['platform']}.",
    ]
    rounds = results.get("benchmarks", {}).get("subscribe", {}).get("rounds")
    if rounds:
        lines.append(
            f"Each figure is the median of {rounds} rounds (decode: of "
            f"{len(results['benchmarks']['decode']['mock']['ours']['times_s'])} calls; start-up: "
            f"of {results['benchmarks']['startup']['rounds']} fresh processes), ours and the "
            "reference taking turns; the range is the lowest and the highest ours / reference "
            "of a round."
        )
    if load:
        start, end = load["start"][0], load.get("end", [math.nan])[0]
        busy = max(start, end) >= machine["cpus"] / 2
        lines.append(
            f"The machine is shared; its load average was {start:.2f} when the run started "
            f"and {end:.2f} when it ended, on {machine['cpus']} CPUs"
            + (
                ": other work competed for the CPUs, so these figures are less steady than "
                "an idle machine's, the subscribe rates most."
                if busy
                else "."
            )
        )
    return " ".join(lines)


# The chart: horizontal bars on a logarithmic scale around the reference (1x).
CHART_WIDTH, LABEL_WIDTH, BAR_HEIGHT, ROW_HEIGHT, TOP = 760, 300, 18, 30, 34
BETTER, WORSE = "#3f7fbf", "#d9822b"


def _chart(rows: list[Row], reference: str) -> str:
    low = min(0.5, *(r.advantage for r in rows))
    high = max(2.0, *(r.advantage for r in rows))
    first, last = math.floor(math.log2(low)), math.ceil(math.log2(high))
    plot = CHART_WIDTH - LABEL_WIDTH - 70

    def x(value: float) -> float:
        return LABEL_WIDTH + (math.log2(value) - first) / (last - first) * plot

    height = TOP + ROW_HEIGHT * len(rows) + 10
    title = f"How many times better than the reference client {reference}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {CHART_WIDTH} {height}" '
        f'role="img" aria-label="{html.escape(title)}" width="100%" '
        'font-family="sans-serif" font-size="13" fill="currentColor">',
        f"<title>{html.escape(title)}</title>",
    ]
    for power in range(first, last + 1):
        tick = 2.0**power
        weight = 'stroke-width="2"' if power == 0 else 'stroke-opacity="0.25"'
        parts += [
            f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{TOP - 6}" '
            f'y2="{height - 10}" stroke="currentColor" {weight}/>',
            f'<text x="{x(tick):.1f}" y="{TOP - 12}" text-anchor="middle">{tick:g}x</text>',
        ]
    for i, row in enumerate(rows):
        y = TOP + i * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2
        start, end = sorted((x(1.0), x(row.advantage)))
        colour = BETTER if row.advantage >= 1 else WORSE
        label = f"{row.advantage:.2f}x"
        parts += [
            f'<text x="{LABEL_WIDTH - 10}" y="{y + 13:.1f}" text-anchor="end">'
            f"{html.escape(row.label)}</text>",
            f'<rect x="{start:.1f}" y="{y:.1f}" width="{max(end - start, 1):.1f}" '
            f'height="{BAR_HEIGHT}" fill="{colour}"><title>{html.escape(row.label)}: '
            f"{label}</title></rect>",
            f'<text x="{max(end, x(1.0)) + 6:.1f}" y="{y + 13:.1f}">{label}</text>',
        ]
    parts.append("</svg>")
    return (
        '<figure markdown="span">\n'
        + "\n".join(parts)
        + "\n<figcaption>Ours against the reference, in times better (a logarithmic scale; "
        "times and memory are inverted so that longer is better everywhere): a bar to the "
        "left of 1x is a benchmark where the reference client is ahead.</figcaption>\n"
        "</figure>"
    )


def _table(rows: list[Row], results: dict[str, Any], reference: str) -> str:
    checks = {c["name"]: c for c in results.get("checks", [])}
    lines = [
        f"| benchmark | {reference} | ours | ours / reference | range | goal |",
        "|---|--:|--:|--:|--:|---|",
    ]
    for row in rows:
        check = checks.get(row.metric.check or "")
        goal = ""
        if check is not None:
            sign = ">=" if check["higher"] else "<="
            unit = f" {check['unit']}" if check.get("unit") else ""
            status = "met" if check["status"] == "PASS" else "missed"
            goal = f"{sign} {check['goal']:g}{unit}: {status}"
        unit = row.metric.unit
        reference_cell = "-" if row.reference is None else _amount(row.reference, unit)
        ratio = "-" if row.ratio is None else f"{row.ratio:.2f}"
        spread = f"{row.spread[0]:.2f} to {row.spread[1]:.2f}" if row.spread else "-"
        lines.append(
            f"| {row.label} | {reference_cell} | {_amount(row.ours, unit)} "
            f"| {ratio} | {spread} | {goal} |"
        )
    return "\n".join(lines)


def _amount(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value * 1000:,.0f} ms"
    if unit == "µs":
        return f"{value * 1e6:,.1f} µs"
    if unit == "MB":
        return f"{value / 1024 / 1024:,.1f} MB"
    return f"{value:,.0f}{unit}"


RENDERERS: dict[str, Callable[[], str]] = {"readme": readme, "bench-results": bench_results}
