"""RegWatch against Datasette and a raw WSGI floor, on the same SQLite file, under wrk.

    python -m bench.run [--measures 100000] [--workers 1 2] [--duration 5] [--rounds 3]
                        [--modes varied repeated] [--scaling 10000 100000 1000000]
                        [--db postgres|sqlite] [--output bench/results.md]

Builds the synthetic dataset into its own file (once per size and seed), serves it with
Granian as the Procfile's ``web`` process runs it (``regwatch.serve``: RegWatch and the raw
app) and Datasette, drives each operation with wrk from a
separate process and writes bench/results.md (or ``--output``):

- varied traffic (the headline): every request asks a different question, drawn with a fixed
  seed from the whole space (any material, any day 1995-2028, any measure, any event window of
  a week to a year); each round draws a fresh list, the same for every server;
- repeated traffic: each operation asks one question over and over, which shows what the
  response cache adds;
- scaling: operation 1 under varied traffic at each size of ``--scaling``, and on PostgreSQL
  at the largest (``--db sqlite`` leaves it out);
- the resident memory of each RegWatch worker after its load.

Rounds interleave servers and operations and each figure is the median of its rounds; for a
sample of questions every server must return the same rows, or the run fails.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from collections.abc import Callable
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path

from bench.output import add_output_argument
from bench.traffic import OPERATIONS, Space, datasette_path, raw_path, regwatch_path
from regwatch import serve
from tests.live_server import free_port, manage, server_command, server_env, serving

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results.md"
LUA = ROOT / "bench" / "paths.lua"
PYTHON = sys.executable
BIN = Path(PYTHON).parent
FIGURES = ("rps", "p50", "p99")
# Questions drawn per operation, round and second of load: more than the fastest server (the
# raw app answers a detail in well under a millisecond) asks in a run, so nothing repeats.
QUESTIONS_PER_SECOND = 20_000
SAMPLE = 20  # questions per operation whose rows are compared across servers


# Nothing kept between requests: every request computes its answer, as a first one does.
UNCACHED = {"DJANGO_CACHE_URL": "dummycache://", "REGWATCH_READ_CACHE_SECONDS": "0"}


def build_sqlite(measures: int, seed: int) -> Path:
    path = DATA / f"bench-{measures}-{seed}.sqlite3"
    if path.exists():  # built by an earlier run: brought up to the current schema and data
        env = server_env(f"sqlite:///{path}")
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "rebuild_representations", "--not-current")
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    env = server_env(f"sqlite:///{partial}")
    manage(env, "migrate", "--noinput", "-v0")
    started = time.monotonic()
    manage(env, "generate_synthetic", "--measures", str(measures), "--seed", str(seed))
    print(f"dataset of {measures:,} built in {time.monotonic() - started:.0f} s", file=sys.stderr)
    with sqlite3.connect(partial) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("PRAGMA journal_mode=DELETE")
    partial.rename(path)
    return path


def create_postgres_database(url: str) -> None:
    """Create the database ``url`` names unless the server has it (through the server's
    ``postgres`` database, with the same credentials)."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict

    name = conninfo_to_dict(url)["dbname"]
    with psycopg.connect(url, dbname="postgres", autocommit=True) as server:
        if not server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def build_postgres(measures: int, seed: int) -> str:
    """The database named by ``BENCH_POSTGRES_URL``, holding ``measures`` synthetic measures:
    kept (and migrated) when it already does, else emptied (its public schema dropped),
    migrated and filled."""
    import psycopg

    url = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/regwatch_bench")
    create_postgres_database(url)
    with psycopg.connect(url, autocommit=True) as connection:
        with suppress(psycopg.errors.UndefinedTable):
            (held,) = connection.execute(
                "SELECT COUNT(*) FROM timeline_measure WHERE key LIKE 'syn-%%'"
            ).fetchone()
            if held == measures:
                manage(server_env(url), "migrate", "--noinput", "-v0")
                manage(server_env(url), "rebuild_representations", "--not-current")
                connection.execute("VACUUM ANALYZE")  # as after a build, for the new indexes
                return url
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")
    env = server_env(url)
    manage(env, "migrate", "--noinput", "-v0")
    started = time.monotonic()
    manage(env, "generate_synthetic", "--measures", str(measures), "--seed", str(seed))
    print(f"PostgreSQL dataset of {measures:,} built in {time.monotonic() - started:.0f} s",
          file=sys.stderr)  # fmt: skip
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")  # index-only scans need the visibility map
    return url


def wrk(base: str, paths: list[str], duration: int, connections: int) -> dict[str, float]:
    """Load ``base`` for ``duration`` seconds, each request taking the next of ``paths``."""
    with tempfile.NamedTemporaryFile("w", suffix=".paths") as listing:
        listing.write("\n".join(paths) + "\n")
        listing.flush()
        output = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(LUA),
             base, "--", listing.name],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip

    def latency(percentile: str) -> float:
        match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": int(errors.group(1)) if errors else 0,
        "repeated": requests > len(set(paths)),
    }


def fetch(url: str):
    with urllib.request.urlopen(url, timeout=120) as response:
        return json.loads(response.read())


def fixed_parameters(space: Space) -> dict[str, dict[str, str]]:
    """The repeated mode's one question per operation."""
    key = sorted(k for k in space.keys if k.startswith("syn-"))[500]
    return {
        "measures_in_force": {"material": "rare-earth-elements", "day": "2025-06-01"},
        "measure_detail": {"key": key},
        "material_timeline": {"material": "dysprosium"},
        "events_range": {"after": "2024-01-01", "before": "2024-12-31"},
    }


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


def queries_per_request(database_url: str, paths: dict[str, list[str]], **extra: str) -> dict:
    """The most SQL statements any of ``paths`` took per operation, counted in process
    through the WSGI application Granian serves. Each path is asked once, after the process
    was warmed with another question, so with caches on this is a first answer's cost (a
    cache hit costs one statement: see the repeated table)."""
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
        "for name,paths in json.loads(sys.argv[1]).items():\n"
        "    counts=[]\n"
        "    get(paths[0])\n"
        "    for path in paths[1:]:\n"
        "        with CaptureQueriesContext(connection) as q: get(path)\n"
        "        counts.append(len(q))\n"
        "    out[name]=max(counts)\n"
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


def worker_rss_mb(pidfile: Path) -> list[float]:
    """Resident memory (MB) of each worker of the Granian whose master wrote ``pidfile``."""
    with suppress(OSError, ValueError):
        master = pidfile.read_text().strip()
        sizes = []
        for status_file in Path("/proc").glob("[0-9]*/status"):
            with suppress(OSError):
                status = status_file.read_text()
                if re.search(r"^PPid:\s+(\d+)$", status, re.M).group(1) == master:
                    kib = int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))
                    sizes.append(kib / 1024)
        return sizes
    return []


@dataclass
class Target:
    """One server under test: its name in the tables, base address, how it asks each
    operation's question, its SQL statements per request and (for RegWatch) its pid file."""

    name: str
    base: str
    path: Callable[[str, dict[str, str]], str]
    operations: tuple[str, ...] = OPERATIONS
    queries: dict[str, int] = field(default_factory=dict)
    pidfile: Path | None = None


def start_regwatch(stack: ExitStack, name: str, database_url: str, workers: int,
                   **extra: str) -> Target:  # fmt: skip
    port = free_port()
    pidfile = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "granian.pid"
    command = [*server_command(port, workers=workers), "--pid-file", str(pidfile)]
    base = stack.enter_context(
        serving(command, server_env(database_url, **extra), port, "/api/v1/sectors/")
    )
    return Target(name, base, regwatch_path, pidfile=pidfile)


def start_targets(stack: ExitStack, args, sqlite_path: Path) -> list[Target]:
    sqlite_url = f"sqlite:///{sqlite_path}"
    first = args.workers[0]
    targets = [
        start_regwatch(stack, f"RegWatch (Granian, {workers}w)", sqlite_url, workers)
        for workers in args.workers
    ]
    targets.append(
        start_regwatch(
            stack, f"RegWatch uncached (Granian, {first}w)", sqlite_url, first, **UNCACHED
        )
    )
    port = free_port()
    raw_env = {**os.environ, "BENCH_SQLITE_PATH": str(sqlite_path), "PYTHONPATH": str(ROOT)}
    probe = "/events_range?after=2024-01-01&before=2024-01-02"
    base = stack.enter_context(
        serving(
            serve.command(
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(first),
                "--log-level",
                "warning",
                application="bench.raw_app:application",
                factory=False,
            ),
            raw_env,
            port,
            probe,
        )
    )
    targets.append(Target(f"raw WSGI (Granian, {first}w)", base, raw_path))

    from bench.queries import QUERIES

    metadata = DATA / "datasette-metadata.json"
    queries = {n: {"sql": q} for n, q in QUERIES.items()}
    metadata.write_text(json.dumps({"databases": {sqlite_path.stem: {"queries": queries}}}))
    port = free_port()
    command = [str(BIN / "datasette"), "serve", "-i", str(sqlite_path), "--metadata", str(metadata),
               "--port", str(port), "--setting", "sql_time_limit_ms", "20000"]  # fmt: skip
    base = stack.enter_context(serving(command, dict(os.environ), port, "/-/versions.json"))
    database = sqlite_path.stem
    targets.append(Target("Datasette", base, lambda op, p: datasette_path(database, op, p)))
    return targets


def check_same_rows(targets: list[Target], questions: dict[str, list[dict]]) -> dict[str, bool]:
    """Whether every server returns the same rows for each sampled question (and warms them)."""
    agree = {}
    for op, sample in questions.items():
        agree[op] = True
        for params in sample:
            answers = {
                json.dumps(keys_of(op, fetch(t.base + t.path(op, params))))
                for t in targets
                if op in t.operations
            }
            if len(answers) != 1:
                print(f"servers differ on {op} {params}", file=sys.stderr)
                agree[op] = False
    return agree


def read_into_page_cache(path: Path) -> None:
    """Read the file at ``path`` through once, so a run starts with it in the operating
    system's page cache, as a server with the memory for it holds it. This machine's virtual
    disk lets cached pages go within minutes, and a server whose run came after a rest would
    otherwise wait on the disk more than the one before it."""
    with path.open("rb") as file:
        while file.read(1 << 20):
            pass


def load(targets: list[Target], args, questions_of: Callable[[int, str], list[dict]],
         database: Path) -> list[dict]:  # fmt: skip
    """Every operation on every server, ``args.rounds`` times interleaved, each run from the
    SQLite file ``database`` read into the page cache; the median figures."""
    runs: dict[tuple[str, str], list[dict]] = defaultdict(list)
    repeated: set[tuple[str, str]] = set()
    for round_number in range(1, args.rounds + 1):
        for op in OPERATIONS:
            questions = questions_of(round_number, op)
            for target in (t for t in targets if op in t.operations):
                paths = [target.path(op, q) for q in questions]
                read_into_page_cache(database)
                result = wrk(target.base, paths, args.duration, args.connections)
                if result["errors"]:
                    sys.exit(f"{target.name} answered {op} with {result['errors']} errors")
                if result["repeated"] and len(questions) > 1:
                    repeated.add((op, target.name))
                runs[op, target.name].append(result)
                print(f"round {round_number}  {op:18} {target.name:38} {result['rps']:8.0f} "
                      f"req/s  p50 {result['p50']:7.2f} ms  p99 {result['p99']:7.2f} ms",
                      file=sys.stderr)  # fmt: skip
    return [
        {
            "operation": op,
            "server": target.name,
            "queries": target.queries.get(op, 1),
            "repeated": (op, target.name) in repeated,
            **{f: statistics.median(r[f] for r in runs[op, target.name]) for f in FIGURES},
        }
        for target in targets
        for op in OPERATIONS
        if op in target.operations
    ]


def count_queries(targets: list[Target], database_url: str, questions: dict[str, list[dict]]):
    paths = {op: [regwatch_path(op, q) for q in sample[:6]] for op, sample in questions.items()}
    cached = queries_per_request(database_url, paths)
    uncached = queries_per_request(database_url, paths, **UNCACHED)
    for target in targets:
        if target.name.startswith("RegWatch uncached"):
            target.queries = uncached
        elif target.name.startswith("RegWatch"):
            target.queries = cached


def scaling(args) -> list[dict]:
    """Operation 1 under varied traffic, RegWatch with one worker and default settings, at
    each size (SQLite), and on PostgreSQL at the largest (or ``--postgres-measures``) unless
    ``--db sqlite``."""
    op = "measures_in_force"
    databases = [(size, "SQLite") for size in args.scaling]
    if args.db == "postgres":
        databases.append((args.postgres_measures or max(args.scaling), "PostgreSQL"))
    rows = []
    for size, kind in databases:
        if kind == "SQLite":
            sqlite_path = build_sqlite(size, args.seed)
            url, space = f"sqlite:///{sqlite_path}", Space(sqlite_path)
        else:
            url = build_postgres(size, args.seed)
            space = Space(postgres_url=url)
        with ExitStack() as stack:
            target = start_regwatch(stack, "RegWatch (Granian, 1w)", url, 1)
            target.operations = (op,)
            if kind == "SQLite":
                read_into_page_cache(sqlite_path)
            runs = []
            for round_number in range(1, args.rounds + 1):
                questions = space.draws(
                    op, QUESTIONS_PER_SECOND * args.duration, f"{args.seed}/scaling/{round_number}"
                )
                paths = [regwatch_path(op, q) for q in questions]
                fetch(target.base + paths[-1])  # the worker's first request
                runs.append(wrk(target.base, paths, args.duration, args.connections))
                print(f"scaling {size:>9,} {kind:10} {runs[-1]['rps']:8.0f} req/s  "
                      f"p50 {runs[-1]['p50']:7.2f} ms", file=sys.stderr)  # fmt: skip
            rss = worker_rss_mb(target.pidfile)
        rows.append(
            {
                "measures": size,
                "database": kind,
                "rps": statistics.median(r["rps"] for r in runs),
                "p50": statistics.median(r["p50"] for r in runs),
                "p99": statistics.median(r["p99"] for r in runs),
                "rss": max(rss) if rss else None,
            }
        )
    return rows


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
    parser.add_argument("--modes", nargs="*", choices=["varied", "repeated"],
                        default=["varied", "repeated"])  # fmt: skip
    parser.add_argument("--scaling", type=int, nargs="*", default=[10_000, 100_000, 1_000_000],
                        help="sizes for the scaling table of operation 1 (none: no table)")  # fmt: skip
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres",
                        help="postgres (the default): the scaling table adds PostgreSQL at its "
                             "largest size, in the database BENCH_POSTGRES_URL names (emptied "
                             "and filled unless it holds that dataset); sqlite: SQLite only")  # fmt: skip
    add_output_argument(parser, RESULTS)
    parser.add_argument("--postgres-measures", type=int,
                        help="the size of the scaling table's PostgreSQL row (default: the "
                             "largest of --scaling)")  # fmt: skip
    args = parser.parse_args()
    missing = [tool for tool in (BIN / "datasette", "wrk") if not shutil.which(tool)]
    if missing:
        sys.exit(f"not installed: {', '.join(Path(tool).name for tool in missing)}; `make bench` installs them "
                 "(the project's bench extras, and Debian's wrk)")  # fmt: skip

    sqlite_path = build_sqlite(args.measures, args.seed)
    space = Space(sqlite_path)
    fixed = fixed_parameters(space)
    sample = {op: space.draws(op, SAMPLE, f"{args.seed}/check") for op in OPERATIONS}
    tables: dict[str, list[dict]] = {}
    agree: dict[str, bool] = {}
    memory: dict[str, list[float]] = {}
    with ExitStack() as stack:
        # No mode: the scaling table alone.
        targets = start_targets(stack, args, sqlite_path) if args.modes else []
        if targets:
            count_queries(targets, f"sqlite:///{sqlite_path}", sample)
            agree = check_same_rows(targets, sample)
        if "varied" in args.modes:
            tables["varied"] = load(
                targets, args,
                lambda r, op: space.draws(
                    op, QUESTIONS_PER_SECOND * args.duration, f"{args.seed}/round/{r}"
                ),
                sqlite_path,
            )  # fmt: skip
        if "repeated" in args.modes:
            same = check_same_rows(targets, {op: [p] for op, p in fixed.items()})
            agree = {op: agree[op] and same[op] for op in agree}
            tables["repeated"] = load(targets, args, lambda r, op: [fixed[op]], sqlite_path)
        memory = {t.name: worker_rss_mb(t.pidfile) for t in targets if t.pidfile}
    scaled = scaling(args) if args.scaling or args.postgres_measures else []
    write_results(tables, agree, memory, scaled, args)
    if not all(agree.values()):
        sys.exit(f"servers returned different rows: {agree}")


def table(rows: list[dict], agree: dict[str, bool], args) -> list[str]:
    lines = [
        "| operation | server | req/s | p50 ms | p99 ms | SQL/request | same rows |",
        "|---|---|---:|---:|---:|---:|:---:|",
    ]
    for row in rows:
        note = " (list wrapped)" if row["repeated"] else ""
        lines.append(
            f"| {row['operation']} | {row['server']}{note} | {row['rps']:.0f} | {row['p50']:.2f} | "
            f"{row['p99']:.2f} | {row['queries']} | {'yes' if agree[row['operation']] else 'NO'} |"
        )
    first = args.workers[0]
    lines += [
        "",
        f"| operation | ours ({first}w) / Datasette | ours ({first}w) / raw "
        "| uncached / Datasette | uncached / raw |",
        "|---|---:|---:|---:|---:|",
    ]
    for op in OPERATIONS:
        rps = {r["server"]: r["rps"] for r in rows if r["operation"] == op}
        ours = rps.get(f"RegWatch (Granian, {first}w)")
        uncached = rps.get(f"RegWatch uncached (Granian, {first}w)")
        datasette = rps.get("Datasette")
        raw = rps.get(f"raw WSGI (Granian, {first}w)")
        if ours and uncached and datasette and raw:
            lines.append(
                f"| {op} | {ours / datasette:.2f}x | {ours / raw:.2f}x "
                f"| {uncached / datasette:.2f}x | {uncached / raw:.2f}x |"
            )
    return lines


def write_results(tables, agree, memory, scaled, args) -> None:
    lines = [
        f"Dataset: {args.measures:,} synthetic measures (seed {args.seed}) plus the demo data, SQLite.",
        f"Load: wrk, 1 thread, {args.connections} connections, {args.duration} s per run, from a separate process; "
        f"{args.rounds} round{'s' * (args.rounds != 1)} with servers and operations interleaved, so drift in the machine's speed "
        "falls on all of them alike; each figure is the median of its rounds. Rows compared on "
        f"every server for {SAMPLE} questions per operation. RegWatch runs with production "
        "settings but rate limits (off: wrk would get 429s), and it and the raw app with the "
        "Procfile's server (`regwatch.serve`: Granian, one Python thread per worker); the SQLite file is read "
        "into the page cache before each run. SQL/request is a first answer's (a cached "
        "answer costs one statement).",
        f"Machine: {machine()}.",
    ]
    if "varied" in tables:
        lines += [
            "",
            "### Varied traffic: every request a different question",
            "",
            "Each request draws (seed fixed, a fresh list every round, the same list for every "
            "server) a material among all, a day from 1995 to 2028, a measure among all, an "
            "event window of a week to a year.",
            "",
            *table(tables["varied"], agree, args),
        ]
    if "repeated" in tables:
        lines += [
            "",
            "### Repeated traffic: one question per operation, over and over",
            "",
            "What the response cache adds: after the first request RegWatch answers from it.",
            "",
            *table(tables["repeated"], agree, args),
        ]
    if scaled:
        lines += [
            "",
            "### Scaling: operation 1 (measures by material in force on a day), varied traffic",
            "",
            "RegWatch, Granian with 1 worker (as the Procfile serves it), default settings; "
            "each SQLite file read into the page cache before its rounds.",
            "",
            "| measures | database | req/s | p50 ms | p99 ms | worker RSS MB |",
            "|---:|---|---:|---:|---:|---:|",
        ]
        for row in scaled:
            rss = f"{row['rss']:.0f}" if row["rss"] else "?"
            lines.append(
                f"| {row['measures']:,} | {row['database']} | {row['rps']:.0f} | "
                f"{row['p50']:.2f} | {row['p99']:.2f} | {rss} |"
            )
    if memory:
        lines += ["", "### Worker memory after the load", "", "| server | RSS MB per worker |",
                  "|---|---|"]  # fmt: skip
        for name, sizes in memory.items():
            lines.append(f"| {name} | {', '.join(f'{s:.0f}' for s in sizes) or '?'} |")
    args.output.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
