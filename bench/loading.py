"""Loading a large file in the dataset format: time and peak memory of load_timeline.

    python -m bench.loading [--measures 10000] [--seed 1] [--database-url POSTGRES_URL] [--output FILE]

Builds the file once: the synthetic timeline (generate_synthetic) as export_timeline writes
it, without the timestamps a backup carries, so that it loads as another team's file would.
Then, on a fresh database, runs load_timeline on it three times, each in its own process: a
dry run, the load that creates everything, and the same file again (nothing changes). Peak
memory is each process's maximum resident set size. Writes bench/loading.md.

The database is a new SQLite file; --database-url adds the same runs on a PostgreSQL
database, which is migrated and EMPTIED first. Target: under 60 s and 500 MB per run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.output import add_output_argument
from bench.run import machine
from tests.live_server import manage, server_env

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "loading.md"
TARGET_SECONDS, TARGET_MB = 60, 500


def build_file(measures: int, seed: int) -> Path:
    path = DATA / f"load-{measures}-{seed}.json"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        env = server_env(f"sqlite:///{Path(scratch) / 'source.sqlite3'}")
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "generate_synthetic", "--measures", str(measures), "--seed", str(seed))
        exported = Path(scratch) / "export.json"
        manage(env, "export_timeline", str(exported))
        document = json.loads(exported.read_text())
    for record in document["measures"]:
        del record["created_at"], record["updated_at"]
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(document, ensure_ascii=False))
    partial.rename(path)
    return path


def timed_load(env: dict[str, str], *args: str) -> dict:
    """Seconds, peak resident megabytes and the summary of one load_timeline process."""
    with tempfile.TemporaryFile("w+") as output:
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "manage.py", "load_timeline", "-v0", *args],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read()
    if process.returncode:
        sys.exit(f"load_timeline {' '.join(args)} failed:\n{text}")
    summary = next(line for line in text.splitlines() if line.startswith("measures:"))
    return {"seconds": seconds, "mb": usage.ru_maxrss * 1024 / 1e6, "summary": summary}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--measures", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    add_output_argument(parser, RESULTS)
    parser.add_argument("--database-url", help="also load into this PostgreSQL database, EMPTIED")
    args = parser.parse_args()

    path = build_file(args.measures, args.seed)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        targets = [("SQLite", f"sqlite:///{Path(scratch) / 'load.sqlite3'}")]
        if args.database_url:
            targets.append(("PostgreSQL", args.database_url))
        for database, url in targets:
            env = server_env(url)
            manage(env, "migrate", "--noinput", "-v0")
            manage(env, "flush", "--noinput", "-v0")
            # flush empties the reference tables the migrations filled (countries, blocs, the
            # HS nomenclature the file's codes are checked against): fill them again.
            manage(env, "sync_reference_data", "-v0")
            rows += [
                (name, database, timed_load(env, *flags, str(path)))
                for name, flags in (
                    ("dry run", ["--dry-run"]),
                    ("first load: creates everything", []),
                    ("same file again: nothing changes", []),
                )
            ]
    met = all(r["seconds"] < TARGET_SECONDS and r["mb"] < TARGET_MB for _, _, r in rows)
    lines = [
        f"File: {args.measures:,} synthetic measures (seed {args.seed}) and the demo data, every "
        f"section, as one JSON file of {path.stat().st_size / 1e6:.0f} MB.",
        "Each run is one `load_timeline` process on a fresh database; peak memory is its "
        "maximum resident set size.",
        f"Machine: {machine()}.",
        "",
        "| run | database | seconds | peak MB | summary |",
        "|---|---|---:|---:|---|",
        *(
            f"| {name} | {database} | {run['seconds']:.1f} | {run['mb']:.0f} | {run['summary']} |"
            for name, database, run in rows
        ),
        "",
        f"Target: under {TARGET_SECONDS} s and {TARGET_MB} MB for each run: "
        + ("met." if met else "NOT met."),
    ]
    args.output.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
