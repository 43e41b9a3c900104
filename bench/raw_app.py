"""The practical floor on this machine: a bare WSGI app running the benchmark's SQL with
sqlite3 and writing rows with orjson. No framework, no validation, no nested data."""

import os
import sqlite3
import threading
from urllib.parse import parse_qs

import orjson

from bench.queries import QUERIES

DATABASE = os.environ["BENCH_SQLITE_PATH"]
_local = threading.local()


def _connection() -> sqlite3.Connection:
    if not hasattr(_local, "db"):
        _local.db = sqlite3.connect(f"file:{DATABASE}?mode=ro", uri=True, check_same_thread=False)
        _local.db.row_factory = sqlite3.Row
    return _local.db


def application(environ, start_response):
    name = environ.get("PATH_INFO", "").strip("/")
    if name not in QUERIES:
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [b'{"error": "unknown query"}']
    params = {key: values[0] for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
    rows = [dict(row) for row in _connection().execute(QUERIES[name], params)]
    body = orjson.dumps(rows)
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
