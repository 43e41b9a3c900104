"""A real RegWatch server in its own processes (Granian, started as the Procfile starts it), on
its own database, for tests and benchmarks that must cross HTTP and process boundaries."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def fresh_database(tmp_dir: Path, purpose: str) -> Iterator[str]:
    """A new database for one run, dropped afterwards: a SQLite file under ``tmp_dir``, or,
    when the suite runs on PostgreSQL, a database named for ``purpose`` and this run, so two
    runs on one server never share (or drop) each other's."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_dir / (purpose + '.sqlite3')}"
        return
    import psycopg

    name = f"regwatch_{purpose}_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    """Production settings with rate limits off, on ``database_url``; ``extra`` adds or
    overrides variables."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "regwatch.settings",
        "DJANGO_SECRET_KEY": "live-server-only-" + "k" * 40,
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "REGWATCH_THROTTLE_ANON": "",
        "REGWATCH_THROTTLE_USER": "",
        "DATABASE_URL": database_url,
        **extra,
    }


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def server_command(port: int, *, workers: int, threads: int = 1) -> list[str]:
    """RegWatch served on ``port`` as the Procfile's ``web`` process serves it
    (``regwatch.serve``), with ``workers`` processes of ``threads`` Python threads each."""
    return [sys.executable, "-m", "regwatch.serve", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers), "--blocking-threads", str(threads),
            "--log-level", "warning"]  # fmt: skip


@contextmanager
def serving(command: list[str], env: dict[str, str], port: int, probe: str) -> Iterator[str]:
    """Runs ``command`` until the block ends; yields its base address once ``probe`` answers."""
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(process, base + probe)
        yield base
    finally:
        stop(process)


def wait_until_answering(process: subprocess.Popen, url: str, timeout: float = 60) -> None:
    """Returns once ``url`` answers; raises RuntimeError if ``process`` ends or ``timeout``
    seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"{process.args[:3]} did not start") from None
            time.sleep(0.2)


def raw_request(base: str, data: bytes, *, close_sending: bool = False):
    """Sends ``data`` (a raw HTTP/1.1 request) at once on a new connection, closing the sending
    side after it when ``close_sending``, and reads the answer: an ``http.client.HTTPResponse``
    already read (its body in ``.body``), or None when the server closed the connection
    unanswered."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(data)
        if close_sending:
            connection.shutdown(socket.SHUT_WR)
        answer = http.client.HTTPResponse(connection)
        try:
            answer.begin()
        except http.client.RemoteDisconnected:
            return None
        answer.body = answer.read()
    return answer


def stop(process: subprocess.Popen, timeout: float = 40) -> None:
    """Stops a server started by ``serving`` as a process manager does, with SIGTERM to its
    process group, sent again each second: a server told to stop while a worker is still
    loading can otherwise wait out Granian's 30 s kill timeout (see ``regwatch.serve``).
    Raises ``TimeoutExpired`` past ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=1)
            return
        except subprocess.TimeoutExpired:
            if time.monotonic() > deadline:
                raise


@contextmanager
def running_server(env: dict[str, str], *, workers: int = 2, threads: int = 4) -> Iterator[str]:
    port = free_port()
    command = server_command(port, workers=workers, threads=threads)
    with serving(command, env, port, "/api/v1/sectors/") as base:
        yield base


@contextmanager
def demo_server(
    tmp_dir: Path, purpose: str, *, workers: int = 2, threads: int = 2, **settings: str
) -> Iterator[tuple[str, str]]:
    """RegWatch on a fresh database holding the demo data, served until the block ends; yields
    its base address and the token of a superuser. ``settings`` are environment variables."""
    with fresh_database(tmp_dir, purpose) as database_url:
        env = server_env(database_url, **settings)
        manage(env, "migrate", "--noinput")
        manage(env, "load_timeline")
        manage(
            env,
            "shell",
            "-c",
            f"from django.contrib.auth.models import User; User.objects.create_superuser({purpose!r})",
        )
        token = manage(env, "issue_token", purpose).strip().splitlines()[-1]
        with running_server(env, workers=workers, threads=threads) as base:
            yield base, token


def request(method: str, url: str, *, token: str | None = None, body=None, headers=None):
    """(status, headers, parsed JSON or None) without raising on 4xx."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Token {token}")
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            raw = response.read()
            return response.status, response.headers, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, error.headers, json.loads(raw) if raw else None
