"""Exports and facets at scale: time and peak memory of a CSV export of every synthetic
measure, of a small filtered one (the two peaks should match: memory is flat in the rows), and
of the measures list with every facet.

    python -m bench.exports [--measures 100000] [--seed 1] [--output FILE]

Uses the synthetic dataset bench.run builds (bench/data, built once per size and seed). Each
request runs in its own process through Django's whole stack (in-process client, read cache
off); peak memory is that process's maximum resident set size, Django and the app included.
Writes bench/exports.md.
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
from bench.run import UNCACHED, build_sqlite, machine
from tests.live_server import server_env

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "exports.md"
FACETS = "jurisdiction,measure_type,status,material,authority,target,sector,year"
CASES = (
    ("CSV export, every measure", "/api/v1/measures/?format=csv"),
    ("CSV export, one jurisdiction", "/api/v1/measures/?format=csv&jurisdiction=JP"),
    ("JSON page of 50 with every facet", f"/api/v1/measures/?facets={FACETS}"),
)


def child(url: str) -> None:
    """Run in the measuring process: one GET through Django, the body read as it streams."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = Client().get(url, HTTP_HOST="localhost")
        size = lines = 0
        for block in response.streaming_content if response.streaming else [response.content]:
            size += len(block)
            lines += block.count(b"\n")
    if response.status_code != 200:
        sys.exit(f"{url}: {response.status_code} {response.content[:500]!r}")
    print(json.dumps({"bytes": size, "lines": lines, "queries": len(queries)}))


def measure(env: dict[str, str], url: str) -> dict:
    with tempfile.TemporaryFile("w+") as output:
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.exports", "--child", url],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - started
        output.seek(0)
        text = output.read()
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"{url} failed:\n{text}")
    result = json.loads(text.strip().splitlines()[-1])
    return {**result, "seconds": seconds, "mb": usage.ru_maxrss * 1024 / 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--measures", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    add_output_argument(parser, RESULTS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    path = build_sqlite(args.measures, args.seed)
    env = {**server_env(f"sqlite:///{path}"), **UNCACHED, "PYTHONPATH": str(ROOT)}
    rows = [(name, url, measure(env, url)) for name, url in CASES]
    lines = [
        f"Dataset: {args.measures:,} synthetic measures (seed {args.seed}), SQLite.",
        "Each request is one process (Django's in-process client, read cache off); seconds "
        "include starting Python and Django (about one second); peak MB is the process's "
        "maximum resident set size.",
        f"Machine: {machine()}.",
        "",
        "| request | seconds | peak MB | lines | MB sent | SQL queries |",
        "|---|---:|---:|---:|---:|---:|",
        *(
            f"| {name} (`{url}`) | {r['seconds']:.1f} | {r['mb']:.0f} | {r['lines']:,} | "
            f"{r['bytes'] / 1e6:.1f} | {r['queries']} |"
            for name, url, r in rows
        ),
    ]
    args.output.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
