"""RegWatch against Datasette and a raw WSGI floor, on the same SQLite file, under wrk.

    python -m bench.run [--measures 100000] [--workers 1 2] [--duration 5] [--rounds 3]
                        [--db postgres]

Builds the synthetic dataset into its own file (once per size and seed), serves it with
gunicorn (RegWatch and the raw app) and Datasette, drives each operation with wrk from a
separate process, checks that the three return the same rows, and writes bench/results.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from tests.live_server import free_port, gunicorn_command, manage, server_env, serving

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results.md"
PYTHON = sys.executable
BIN = Path(PYTHON).parent
FIGURES = ("rps", "p50", "p99")


# Nothing kept between requests: every request computes its answer, as a first one does.
UNCACHED = {"DJANGO_CACHE_URL": "dummycache://", "REGWATCH_READ_CACHE_SECONDS": "0"}


def build_sqlite(measures: int, seed: int) -> Path:
    path = DATA / f"bench-{measures}-{seed}.sqlite3"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    env = server_env(f"sqlite:///{partial}")
    manage(env, "migrate", "--noinput", "-v0")
    started = time.monotonic()
    manage(env, "generate_synthetic", "--measures", str(measures), "--seed", str(seed))
    print(f"dataset built in {time.monotonic() - started:.0f} s", file=sys.stderr)
    with sqlite3.connect(partial) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("PRAGMA journal_mode=DELETE")
    partial.rename(path)
    return path


def build_postgres(measures: int, seed: int) -> str:
    import psycopg

    base = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
    name = f"regwatch_bench_{measures}_{seed}"
    url = base.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(base, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if exists:
            return url
        connection.execute(f'CREATE DATABASE "{name}_partial"')
    env = server_env(url + "_partial")
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "generate_synthetic", "--measures", str(measures), "--seed", str(seed))
    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(f'ALTER DATABASE "{name}_partial" RENAME TO "{name}"')
    return url


def wrk(url: str, duration: int, connections: int) -> dict[str, float]:
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip

    def latency(percentile: str) -> float:
        match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": int(errors.group(1)) if errors else 0,
    }


def fetch(url: str):
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.loads(response.read())


def pick_parameters(sqlite_path: Path) -> dict[str, dict[str, str]]:
    with sqlite3.connect(sqlite_path) as db:
        (key,) = db.execute(
            "SELECT key FROM timeline_measure WHERE key LIKE 'syn-%' ORDER BY key LIMIT 1 OFFSET 500"
        ).fetchone()
    return {
        "measures_in_force": {"material": "rare-earth-elements", "day": "2025-06-01"},
        "measure_detail": {"key": key},
        "material_timeline": {"material": "dysprosium"},
        "events_range": {"after": "2024-01-01", "before": "2024-12-31"},
    }


def regwatch_path(operation: str, p: dict[str, str]) -> str:
    return {
        "measures_in_force": f"/api/v1/measures/?material={p.get('material')}&in_force_on={p.get('day')}&page_size=50",
        "measure_detail": f"/api/v1/measures/{p.get('key')}/",
        "material_timeline": f"/api/v1/materials/{p.get('material')}/timeline/?page_size=50",
        "events_range": f"/api/v1/events/?date_after={p.get('after')}&date_before={p.get('before')}&page_size=50",
    }[operation]  # fmt: skip


def keys_of(operation: str, body) -> list:
    """The identity of the rows a response holds, in order."""
    if isinstance(body, dict) and "results" in body:
        body = body["results"]
    if isinstance(body, dict):
        body = [body]
    if operation in ("measures_in_force", "measure_detail"):
        return [row["key"] for row in body]
    return [(row["date"], row["type"], row["measure"]["key"] if isinstance(row.get("measure"), dict)
             else row["key"]) for row in body]  # fmt: skip


def queries_per_request(database_url: str, paths: dict[str, str], **extra: str) -> dict[str, int]:
    """SQL statements per request, counted in process through the WSGI application gunicorn
    serves, after one request has warmed it as the load's first request does."""
    env = server_env(database_url, **extra)
    script = (
        "import json,sys;from wsgiref.util import setup_testing_defaults\n"
        "from regwatch.wsgi import application\n"
        "from django.db import connection;from django.test.utils import CaptureQueriesContext\n"
        "def get(path):\n"
        "    p,_,q=path.partition('?');e={'PATH_INFO':p,'QUERY_STRING':q,'HTTP_HOST':'localhost'}\n"
        "    setup_testing_defaults(e);r=application(e,lambda *a:None);b''.join(r)\n"
        "    getattr(r,'close',lambda:None)()\n"
        "out={}\n"
        "for name,path in json.loads(sys.argv[1]).items():\n"
        "    get(path)\n"
        "    with CaptureQueriesContext(connection) as q: get(path)\n"
        "    out[name]=len(q)\n"
        "print(json.dumps(out))"
    )
    result = subprocess.run(
        [PYTHON, "-c", script, json.dumps(paths)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def machine() -> str:
    cpu = "unknown CPU"
    with suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}){memory}; Linux {platform.release()}; Python "
        f"{platform.python_version()}; SQLite {sqlite3.sqlite_version}"
    )


@dataclass
class Target:
    """One server under test: its name in the table, base address, the address of each
    operation it serves and its SQL statements per request."""

    name: str
    base: str
    paths: dict[str, str]
    queries: dict[str, int | str]


def start_targets(stack: ExitStack, args, sqlite_path: Path, parameters) -> list[Target]:
    sqlite_url = f"sqlite:///{sqlite_path}"
    paths = {op: regwatch_path(op, p) for op, p in parameters.items()}
    first = args.workers[0]

    def regwatch(name: str, env: dict[str, str], workers: int, counted: dict) -> Target:
        port = free_port()
        command = gunicorn_command("regwatch.wsgi", port, workers=workers)
        base = stack.enter_context(serving(command, env, port, "/api/v1/sectors/"))
        return Target(name, base, paths, counted)

    targets = [
        regwatch(f"RegWatch (gunicorn, {workers}w)", server_env(sqlite_url), workers,
                 queries_per_request(sqlite_url, paths))
        for workers in args.workers
    ]  # fmt: skip
    targets.append(
        regwatch(f"RegWatch uncached (gunicorn, {first}w)", server_env(sqlite_url, **UNCACHED),
                 first, queries_per_request(sqlite_url, paths, **UNCACHED))
    )  # fmt: skip

    port = free_port()
    raw_env = {**os.environ, "BENCH_SQLITE_PATH": str(sqlite_path), "PYTHONPATH": str(ROOT)}
    probe = "/events_range?after=2024-01-01&before=2024-01-02"
    base = stack.enter_context(
        serving(
            gunicorn_command("bench.raw_app:application", port, workers=first), raw_env, port, probe
        )
    )
    raw_paths = {op: f"/{op}?{urlencode(p)}" for op, p in parameters.items()}
    targets.append(
        Target(f"raw WSGI (gunicorn, {first}w)", base, raw_paths, dict.fromkeys(paths, 1))
    )

    from bench.queries import QUERIES

    metadata = DATA / "datasette-metadata.json"
    queries = {n: {"sql": q} for n, q in QUERIES.items()}
    metadata.write_text(json.dumps({"databases": {sqlite_path.stem: {"queries": queries}}}))
    port = free_port()
    command = [str(BIN / "datasette"), "serve", "-i", str(sqlite_path), "--metadata", str(metadata),
               "--port", str(port), "--setting", "sql_time_limit_ms", "20000"]  # fmt: skip
    base = stack.enter_context(serving(command, dict(os.environ), port, "/-/versions.json"))
    datasette_paths = {
        op: f"/{sqlite_path.stem}/{op}.json?_shape=array&{urlencode(p)}"
        for op, p in parameters.items()
    }
    targets.append(Target("Datasette", base, datasette_paths, dict.fromkeys(paths, 1)))

    if args.db == "postgres":
        pg_url = build_postgres(args.measures, args.seed)
        op = "measures_in_force"
        pg = regwatch(f"RegWatch on PostgreSQL ({first}w)", server_env(pg_url), first,
                      queries_per_request(pg_url, {op: paths[op]}))  # fmt: skip
        pg.paths = {op: paths[op]}
        targets.append(pg)
    return targets


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--measures", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per run")
    parser.add_argument("--rounds", type=int, default=3,
                        help="runs of every operation on every server, interleaved; the table "
                             "shows each figure's median")  # fmt: skip
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite",
                        help="postgres: also run operation 1 against RegWatch on PostgreSQL")  # fmt: skip
    args = parser.parse_args()

    sqlite_path = build_sqlite(args.measures, args.seed)
    parameters = pick_parameters(sqlite_path)
    seen: dict[str, dict[str, list]] = {op: {} for op in parameters}
    runs: dict[tuple[str, str], list[dict]] = defaultdict(list)
    with ExitStack() as stack:
        targets = start_targets(stack, args, sqlite_path, parameters)
        for target in targets:
            for op, path in target.paths.items():
                seen[op][target.name] = keys_of(op, fetch(target.base + path))  # and warms
        for round_number in range(1, args.rounds + 1):
            for op in parameters:
                for target in (t for t in targets if op in t.paths):
                    result = wrk(target.base + target.paths[op], args.duration, args.connections)
                    if result["errors"]:
                        sys.exit(f"{target.name} answered {op} with {result['errors']} errors")
                    runs[op, target.name].append(result)
                    print(f"round {round_number}  {op:18} {target.name:36} {result['rps']:8.0f} "
                          f"req/s  p50 {result['p50']:7.2f} ms  p99 {result['p99']:7.2f} ms",
                          file=sys.stderr)  # fmt: skip
    rows = [
        {
            "operation": op,
            "server": target.name,
            "queries": target.queries[op],
            **{f: statistics.median(r[f] for r in runs[op, target.name]) for f in FIGURES},
        }
        for target in targets
        for op in target.paths
    ]

    agree = {
        op: len({json.dumps(v) for v in servers.values()}) == 1 for op, servers in seen.items()
    }
    write_results(rows, agree, args)
    if not all(agree.values()):
        sys.exit(f"servers returned different rows: {agree}")


def write_results(rows: list[dict], agree: dict[str, bool], args) -> None:
    lines = [
        f"Dataset: {args.measures:,} synthetic measures (seed {args.seed}) plus the demo data, SQLite.",
        f"Load: wrk, 1 thread, {args.connections} connections, {args.duration} s per run, from a separate process; "
        f"{args.rounds} rounds with servers and operations interleaved, so drift in the machine's speed "
        "falls on all of them alike; each figure is the median of its rounds.",
        f"Machine: {machine()}.",
        "",
        "| operation | server | req/s | p50 ms | p99 ms | SQL/request | same rows |",
        "|---|---|---:|---:|---:|---:|:---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['operation']} | {row['server']} | {row['rps']:.0f} | {row['p50']:.2f} | "
            f"{row['p99']:.2f} | {row['queries']} | {'yes' if agree[row['operation']] else 'NO'} |"
        )
    first = args.workers[0]
    lines += [
        "",
        f"| operation | ours ({first}w) / Datasette | ours ({first}w) / raw "
        "| uncached / Datasette | uncached / raw |",
        "|---|---:|---:|---:|---:|",
    ]
    for op in agree:
        rps = {r["server"]: r["rps"] for r in rows if r["operation"] == op}
        ours = rps.get(f"RegWatch (gunicorn, {first}w)")
        uncached = rps.get(f"RegWatch uncached (gunicorn, {first}w)")
        datasette = rps.get("Datasette")
        raw = rps.get(f"raw WSGI (gunicorn, {first}w)")
        if ours and uncached and datasette and raw:
            lines.append(
                f"| {op} | {ours / datasette:.2f}x | {ours / raw:.2f}x "
                f"| {uncached / datasette:.2f}x | {uncached / raw:.2f}x |"
            )
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
