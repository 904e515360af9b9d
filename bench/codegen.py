"""How long `i3x codegen` takes on a real server's whole type listing, and what follows.

Usage::

    python bench/codegen.py [--repeat 3] [--listing tests/unit/samples/server-b-objecttypes-all.json.gz]

Measures, on server-b's 2,877 object types (1.1 MB of JSON) by default:

- `generate`: `i3x.codegen.generate()` from parsed `ObjectType`s to module source (the
  generator's run and the import check it makes), best and median of `--repeat` runs;
- `import`: importing the written module in a fresh process (what a user pays);
- `mypy --strict`: checking the written module with a fresh cache, in a fresh process.

Needs the `codegen` extra and mypy (`pip install -e ".[dev]"`).
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import i3x
import i3x.codegen

ROOT = Path(__file__).resolve().parent.parent
LISTING = ROOT / "tests" / "unit" / "samples" / "server-b-objecttypes-all.json.gz"


def _load(path: Path) -> list[i3x.ObjectType]:
    raw = path.read_bytes()
    data = json.loads(gzip.decompress(raw) if path.suffix == ".gz" else raw)
    items = data["result"] if isinstance(data, dict) else data
    return [i3x.ObjectType.from_dict(item) for item in items]


def _timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listing", type=Path, default=LISTING)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    types = _load(args.listing)
    times = []
    source = ""
    for _ in range(args.repeat):
        start = time.perf_counter()
        source = i3x.codegen.generate(types)
        times.append(time.perf_counter() - start)
    models = source.count("\nclass ")
    print(f"{len(types)} object types, {models} classes, {len(source) / 1e6:.1f} MB of source")
    print(f"generate       best {min(times):6.2f} s   median {statistics.median(times):6.2f} s")

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / "plant_types.py").write_text(source, encoding="utf-8")
        imported = _timed([sys.executable, "-c", "import plant_types"], directory)
        print(f"import         {imported:6.2f} s  (a fresh process, Python start included)")
        checked = _timed(
            [
                sys.executable,
                "-m",
                "mypy",
                "--strict",
                "--config-file=",
                "--cache-dir",
                str(directory / "cache"),
                "plant_types.py",
            ],
            directory,
        )
        print(f"mypy --strict  {checked:6.2f} s  (a fresh cache)")


if __name__ == "__main__":
    main()
