"""What ``?as_known_on`` costs: the measures list, a measure and its timeline as known at a
moment, against the same answers for today, nothing cached, on measures loaded with history.

    python -m bench.as_known [--measures 10000] [--seed 1] [--runs 5]

Loads bench.loading's file (the synthetic timeline in the dataset format, so that every
measure has a history version) into a new SQLite file, then times each request in one process
through Django's WSGI handler (median of ``--runs``), counts its SQL statements and shows the
plan of the query that finds the versions known at the moment. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.loading import build_file
from tests.live_server import manage, server_env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measures", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    path = build_file(args.measures, args.seed)
    with tempfile.TemporaryDirectory() as scratch:
        env = server_env(f"sqlite:///{Path(scratch) / 'known.sqlite3'}")
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "load_timeline", "-v0", str(path))
        os.environ.update(env, REGWATCH_READ_CACHE_SECONDS="0")
        measure(args.runs)


def measure(runs: int) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from timeline.as_known import known_versions
    from timeline.models import Material, Measure

    known_on = timezone.now().isoformat().replace("+00:00", "Z")
    key = Measure.objects.order_by("key").values_list("key", flat=True)[0]
    material = Material.objects.filter(measure_links__isnull=False).order_by("slug").first().slug
    client = Client(HTTP_HOST="127.0.0.1")
    cases = {
        "measures list, page of 50": "/api/v1/measures/",
        "measures in force on a day": "/api/v1/measures/?in_force_on=2020-01-01",
        "measures on a material (groups expanded)": f"/api/v1/measures/?material={material}",
        "one measure": f"/api/v1/measures/{key}/",
        "its timeline": f"/api/v1/measures/{key}/timeline/",
    }
    print(f"{Measure.objects.count()} measures, {Measure.history.count()} versions, SQLite\n")
    print("| request | today ms | as known ms | today SQL | as known SQL |")
    print("|---|---:|---:|---:|---:|")
    for name, address in cases.items():
        joiner = "&" if "?" in address else "?"
        timings, counts = [], []
        for target in (address, f"{address}{joiner}as_known_on={known_on}"):
            seconds = []
            for _ in range(runs):
                started = time.perf_counter()
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(target)
                seconds.append(time.perf_counter() - started)
                assert response.status_code == 200, response.content[:300]
            timings.append(statistics.median(seconds) * 1000)
            counts.append(len(queries))
        print(f"| {name} | {timings[0]:.1f} | {timings[1]:.1f} | {counts[0]} | {counts[1]} |")
    sql, params = known_versions(timezone.now()).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        print("\nPlan of the versions query:\n")
        for row in cursor.fetchall():
            print(f"    {row[-1]}")


if __name__ == "__main__":
    main()
