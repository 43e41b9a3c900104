"""CPU time per request, in process: what each benchmark operation costs RegWatch itself, with
no HTTP server, no load generator and nothing cached, so the figure moves little when the
machine is shared (wall-clock tables do).

    python -m bench.cpu [--measures 100000] [--seed 1] [--questions 200] [--output bench/cpu.md]

Each operation asks ``--questions`` varied questions (drawn as ``bench.run`` draws them),
through the WSGI application Granian serves, with production settings and the caches off;
``time.process_time`` is read around each request. Also measured, as the floor every answer
pays: a request Django answers before any view (``/healthz``) and the smallest API answers
(a one-row list, a jurisdiction). Builds the synthetic dataset first when bench/data/ lacks it
(about a minute and 290 MB at 100,000 measures), and writes bench/cpu.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from bench.output import add_output_argument
from bench.run import PYTHON, ROOT, UNCACHED, build_sqlite, machine
from bench.traffic import OPERATIONS, Space, regwatch_path
from tests.live_server import server_env

RESULTS = ROOT / "bench" / "cpu.md"
FLOOR = {
    "Django, no view (/healthz)": "/healthz",
    "a jurisdiction": "/api/v1/jurisdictions/CN/",
    "a one-row event list": "/api/v1/events/?date_after=2020-01-01&date_before=2020-01-01&page_size=1",
}

# Run in a process of its own with the server's environment: times each path of
# sys.argv[1] (a JSON {name: [paths]}) after one warming request; prints JSON.
MEASURE = """
import json, statistics, sys, time
from wsgiref.util import setup_testing_defaults
from django.db import connection
from django.test.utils import CaptureQueriesContext
from regwatch.wsgi import application

def get(path):
    p, _, q = path.partition("?")
    environ = {"PATH_INFO": p, "QUERY_STRING": q, "HTTP_HOST": "localhost"}
    setup_testing_defaults(environ)
    status = []
    body = application(environ, lambda s, h: status.append(s))
    b"".join(body)
    getattr(body, "close", lambda: None)()
    if not status[0].startswith("200"):
        raise SystemExit(f"{path}: {status[0]}")

out = {}
for name, paths in json.loads(sys.argv[1]).items():
    get(paths[0])
    cpu = []
    for path in paths:
        started = time.process_time()
        get(path)
        cpu.append((time.process_time() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        get(paths[-1])
    out[name] = {"p50": statistics.median(cpu), "mean": statistics.mean(cpu),
                 "queries": len(queries)}
print(json.dumps(out))
"""


def measure(database_url: str, paths: dict[str, list[str]]) -> dict[str, dict]:
    result = subprocess.run(
        [PYTHON, "-c", MEASURE, json.dumps(paths)],
        cwd=ROOT,
        env=server_env(database_url, **UNCACHED, DJANGO_ALLOWED_HOSTS="localhost"),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--measures", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--questions", type=int, default=200)
    add_output_argument(parser, RESULTS)
    args = parser.parse_args()

    sqlite_path = build_sqlite(args.measures, args.seed)
    space = Space(sqlite_path)
    paths = {
        op: [regwatch_path(op, q) for q in space.draws(op, args.questions, f"{args.seed}/cpu")]
        for op in OPERATIONS
    }
    paths |= {name: [path] * args.questions for name, path in FLOOR.items()}
    figures = measure(f"sqlite:///{sqlite_path}", paths)
    lines = [
        f"Dataset: {args.measures:,} synthetic measures (seed {args.seed}), SQLite. "
        f"{args.questions} requests per row, in process, production settings, nothing cached "
        "(`python -m bench.cpu`).",
        f"Machine: {machine()}.",
        "",
        "| request | CPU p50 ms | CPU mean ms | SQL statements |",
        "|---|---:|---:|---:|",
    ]
    for name, row in figures.items():
        label = f"{name} (varied)" if name in OPERATIONS else name
        lines.append(f"| {label} | {row['p50']:.2f} | {row['mean']:.2f} | {row['queries']} |")
    args.output.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
