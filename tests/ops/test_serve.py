"""The web process (``regwatch.serve``): Granian as the Procfile starts it refuses what the
schema says it refuses (its metrics: tests/ops/test_metrics.py)."""

import json
import os
import signal
import subprocess
import time
from contextlib import suppress
from pathlib import Path

import pytest

from regwatch.serve import MAX_HEADER_FIELDS, MAX_REQUEST_TARGET
from tests.live_server import (
    ROOT,
    free_port,
    manage,
    raw_request,
    server_command,
    server_env,
    serving,
    stop,
    wait_until_answering,
)

SECTORS = "/api/v1/sectors/"


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    env = server_env(f"sqlite:///{tmp_path_factory.mktemp('serve') / 'serve.sqlite3'}")
    manage(env, "migrate", "--noinput")
    port = free_port()
    with serving(server_command(port, workers=1), env, port, SECTORS) as base:
        yield base


def raw_exchange(base: str, head: bytes) -> tuple[int, dict[str, str], bytes]:
    """(status, headers with lower-case names, body) of the answer to the raw request
    ``head``."""
    answer = raw_request(base, head)
    return answer.status, {name.lower(): value for name, value in answer.getheaders()}, answer.body


def get(base: str, target: str, fields: int = 0) -> tuple[int, dict[str, str], bytes]:
    """A GET of ``target`` carrying ``fields`` header fields in all (Host and Connection
    among them)."""
    extra = "".join(f"X-Extra-{n}: 1\r\n" for n in range(fields - 2))
    head = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}Connection: close\r\n\r\n"
    return raw_exchange(base, head.encode())


def padded(length: int) -> str:
    """The sectors list's address with a query making it ``length`` bytes long."""
    prefix = SECTORS + "?pad="
    return prefix + "p" * (length - len(prefix))


def test_a_request_target_at_the_limit_reaches_regwatch_and_one_byte_more_is_414(base):
    reached, headers, body = get(base, padded(MAX_REQUEST_TARGET))
    assert reached == 400  # RegWatch's answer: it names the unknown parameter
    assert headers["content-type"] == "application/json"
    assert b'"attr":"pad"' in body

    status, headers, body = get(base, padded(MAX_REQUEST_TARGET + 1))
    assert (status, headers["content-length"], body) == (414, "0", b"")


def test_header_fields_over_the_limit_are_431_with_an_empty_body(base):
    assert get(base, SECTORS, fields=MAX_HEADER_FIELDS)[0] == 200
    status, headers, body = get(base, SECTORS, fields=MAX_HEADER_FIELDS + 1)
    assert (status, headers["content-length"], body) == (431, "0", b"")


def test_an_unparsable_request_is_400_with_an_empty_body(base):
    status, headers, body = raw_exchange(base, b"NOT A REQUEST\r\n\r\n")
    assert (status, headers["content-length"], body) == (400, "0", b"")


def test_the_schema_states_the_servers_refusals_for_every_operation(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert f"{MAX_REQUEST_TARGET:,}" in responses["414"]["description"], (path, method)
            assert "content" not in responses["414"]
            assert str(MAX_HEADER_FIELDS) in responses["431"]["description"]
            assert "content" not in responses["431"]


def test_http2_is_not_spoken_so_the_limits_hold(base):
    """Over HTTP/2 Granian has other limits (none on header fields): it speaks HTTP/1.1 only."""
    # HTTP/2's preface; an HTTP/2 server answers with a SETTINGS frame, no status line at all
    answer = raw_request(base, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
    assert answer is None or (answer.version, answer.status) == (11, 400)


def test_json_logs_cover_the_servers_own_lines(monkeypatch, tmp_path):
    from ops.log_format import JSON_FORMATTER
    from regwatch.serve import log_options

    monkeypatch.setenv("REGWATCH_LOG_FORMAT", "text")
    assert log_options(str(tmp_path)) == []
    monkeypatch.setenv("REGWATCH_LOG_FORMAT", "json")
    flag, path = log_options(str(tmp_path))
    config = json.loads(Path(path).read_text())
    assert flag == "--log-config"
    assert config["formatters"] == {"generic": JSON_FORMATTER, "access": JSON_FORMATTER}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_to_the_process_group_stops_the_server_at_once(tmp_path, signum):
    """As a terminal's Ctrl-C or a process manager sends them: Granian's master and workers
    all signalled at once left a worker that never stopped, until the 30 s kill timeout."""
    env = server_env(f"sqlite:///{tmp_path / 'stop.sqlite3'}")
    manage(env, "migrate", "--noinput")
    port = free_port()
    process = subprocess.Popen(
        server_command(port, workers=2), cwd=ROOT, env=env, start_new_session=True
    )
    try:
        wait_until_answering(process, f"http://127.0.0.1:{port}/healthz")
        time.sleep(3)  # every worker loaded
        os.killpg(process.pid, signum)
        assert process.wait(timeout=15) == 0
    finally:
        stop(process)


def test_the_server_does_not_outlive_a_killed_web_process(tmp_path):
    """A process manager's last resort, SIGKILL, leaves no Granian holding the port."""
    env = server_env(f"sqlite:///{tmp_path / 'kill.sqlite3'}")
    manage(env, "migrate", "--noinput")
    port = free_port()
    pidfile = tmp_path / "granian.pid"
    command = [*server_command(port, workers=1), "--pid-file", str(pidfile)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    try:
        wait_until_answering(process, f"http://127.0.0.1:{port}/healthz")
        master = int(pidfile.read_text())
        process.kill()
        process.wait()
        deadline = time.monotonic() + 15
        while Path(f"/proc/{master}").exists() and _state(master) != "Z":
            assert time.monotonic() < deadline, "Granian outlived its parent"
            time.sleep(0.2)
    finally:
        stop(process)
        if pidfile.exists():  # Granian, had it outlived its parent
            with suppress(ProcessLookupError, ValueError):
                os.killpg(int(pidfile.read_text()), signal.SIGKILL)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def test_a_stop_right_after_start_exits_0(tmp_path):
    """Before Granian's master has its handler in place, the SIGTERM passed on ends it: that is
    still the stop that was asked for, not a failure."""
    port = free_port()
    env = server_env(f"sqlite:///{tmp_path / 'early.sqlite3'}")
    process = subprocess.Popen(
        server_command(port, workers=1), cwd=ROOT, env=env, start_new_session=True
    )
    try:
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=40) == 0
    finally:
        stop(process)
