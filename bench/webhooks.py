"""Webhook delivery latency and change-feed throughput, against real processes.

    python -m bench.webhooks [--writes 100] [--feed-rounds 20] [--interval 0.1] [--db postgres]
                             [--output FILE]

Serves RegWatch (Granian, 2 processes) on a fresh database holding the demo data, with ONE
worker (``manage.py db_worker``) and an HTTP receiver on loopback. Latency: each write (a
PATCH of a measure's title) is timed from just before the request is sent to the moment the
receiver answers 200 to its delivery; writes are sequential, each waiting for its delivery,
so the worker is never behind (latency, not backlog). Throughput: ``--feed-rounds`` rewrites
of every measure fill the change log, then the whole feed is read with ``limit=1000``
(changes per second, unfiltered and with a measure filter). Writes bench/webhooks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.output import add_output_argument
from tests.live_server import (
    ROOT,
    free_port,
    fresh_database,
    manage,
    request,
    server_command,
    server_env,
    serving,
)

OUT = ROOT / "bench" / "webhooks.md"
REWRITE_ALL = """
from django.db import transaction
from timeline.models import Measure
from timeline.services import save_measure
for round in range({rounds}):
    with transaction.atomic():
        for measure in Measure.objects.all():
            measure.title = measure.title.rstrip(".") + "." * (round % 2 + 1)
            save_measure(measure)
"""


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def receiver() -> tuple[ThreadingHTTPServer, dict[str, float], threading.Condition]:
    arrived: dict[str, float] = {}
    condition = threading.Condition()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()
            title = ((body["data"] or {}).get("measure") or {}).get("title", "")
            with condition:
                arrived[title] = time.perf_counter()
                condition.notify_all()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, arrived, condition


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writes", type=int, default=100)
    parser.add_argument("--feed-rounds", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.1, help="worker poll (seconds)")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    add_output_argument(parser, OUT)
    args = parser.parse_args()
    if args.db == "postgres" and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        parser.error("--db postgres needs DATABASE_URL naming a PostgreSQL server")
    if args.db == "sqlite":
        os.environ.pop("DATABASE_URL", None)

    tmp = ROOT / "bench" / "data"
    tmp.mkdir(parents=True, exist_ok=True)
    for stale in tmp.glob("bench_webhooks.sqlite3*"):
        stale.unlink()  # a SQLite file of an earlier run
    server, arrived, condition = receiver()
    hook_url = f"http://127.0.0.1:{server.server_address[1]}/bench"
    with fresh_database(tmp, "bench_webhooks") as database_url:
        env = server_env(database_url, REGWATCH_WEBHOOKS_ALLOW_LOOPBACK="true")
        manage(env, "migrate", "--noinput")
        manage(env, "load_timeline")
        manage(env, "shell", "-c", "from django.contrib.auth.models import User; "
               "User.objects.create_superuser('bench')")  # fmt: skip
        token = manage(env, "issue_token", "bench").strip().splitlines()[-1]
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", str(args.interval),
             "--no-reload", "--no-startup-delay"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        port = free_port()
        try:
            with serving(server_command(port, workers=2), env, port,
                         "/api/v1/sectors/") as base:  # fmt: skip
                latencies = measure_latency(base, token, hook_url, args.writes, arrived, condition)
                worker.terminate()
                worker.wait(timeout=30)
                manage(env, "shell", "-c", REWRITE_ALL.format(rounds=args.feed_rounds))
                feed = {
                    "unfiltered": read_feed(base, ""),
                    "jurisdiction=CN": read_feed(base, "&jurisdiction=CN"),
                }
        finally:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=30)
            server.shutdown()
    write_report(args, latencies, feed)


def measure_latency(base, token, hook_url, writes, arrived, condition) -> list[float]:
    status, _, body = request(
        "POST", f"{base}/api/v1/subscriptions/", token=token,
        body={"target_url": hook_url, "kinds": ["measure"]},
    )  # fmt: skip
    assert status == 201, body
    _, _, page = request("GET", f"{base}/api/v1/measures/?page_size=50&ordering=key")
    keys = [measure["key"] for measure in page["results"]]
    latencies = []
    for number in range(writes):
        title = f"bench write {number}"
        started = time.perf_counter()
        status, _, body = request(
            "PATCH", f"{base}/api/v1/measures/{keys[number % len(keys)]}/", token=token,
            body={"title": title},
        )  # fmt: skip
        assert status == 200, body
        with condition:
            if not condition.wait_for(lambda title=title: title in arrived, timeout=60):
                raise RuntimeError(f"write {number} was not delivered within a minute")
        latencies.append((arrived[title] - started) * 1000)
    return latencies


def read_feed(base: str, query: str) -> dict:
    started = time.perf_counter()
    changes, pages = 0, 0
    url = f"{base}/api/v1/changes/?limit=1000{query}"
    while True:
        status, _, page = request("GET", url)
        assert status == 200, page
        pages += 1
        changes += len(page["results"])
        if not page["results"]:
            break
        url = page["next"]
    seconds = time.perf_counter() - started
    return {"changes": changes, "pages": pages, "seconds": seconds, "rate": changes / seconds}


def write_report(args, latencies: list[float], feed: dict) -> None:
    lines = [
        "# Webhook delivery latency and change-feed throughput",
        "",
        f"`python -m bench.webhooks --writes {args.writes} --feed-rounds {args.feed_rounds} "
        f"--interval {args.interval} --db {args.db}` on {platform.platform()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}.",
        "",
        "One worker (`db_worker --interval " + str(args.interval) + "`), Granian with 2 "
        "processes, the receiver on loopback answering 200 at once.",
        "",
        "## Delivery latency (write sent to receiver's 200)",
        "",
        "| writes | p50 ms | p99 ms | max ms | mean ms |",
        "|---:|---:|---:|---:|---:|",
        f"| {len(latencies)} | {percentile(latencies, 0.5):.0f} | "
        f"{percentile(latencies, 0.99):.0f} | {max(latencies):.0f} | "
        f"{statistics.fmean(latencies):.0f} |",
        "",
        "## Feed throughput (whole feed read with limit=1000)",
        "",
        "| query | changes | pages | seconds | changes/s |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, result in feed.items():
        lines.append(
            f"| {name} | {result['changes']} | {result['pages']} | {result['seconds']:.2f} | "
            f"{result['rate']:.0f} |"
        )
    args.output.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
