import json
import subprocess
import sys

import pytest

from tests.live_server import ROOT, server_env

SAY = "import logging; logging.getLogger('regwatch.test').warning('measure %s saved', 'cn-x')"


def run(tmp_path, *args: str, **extra) -> subprocess.CompletedProcess:
    env = server_env(f"sqlite:///{tmp_path / 'log.sqlite3'}", **extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip


def log_lines(tmp_path, **extra) -> list[str]:
    result = run(tmp_path, "shell", "-c", SAY, **extra)
    return [line for line in result.stderr.splitlines() if "saved" in line]


def test_logs_are_one_json_object_a_line_when_asked(tmp_path):
    [line] = log_lines(tmp_path, REGWATCH_LOG_FORMAT="json")

    record = json.loads(line)
    assert record["message"] == "measure cn-x saved"
    assert record["level"] == "WARNING"
    assert record["logger"] == "regwatch.test"
    assert "time" in record


def test_logs_are_plain_text_by_default(tmp_path):
    assert log_lines(tmp_path) == ["measure cn-x saved"]


def test_an_unknown_log_format_is_refused_at_start(tmp_path):
    with pytest.raises(subprocess.CalledProcessError) as refused:
        run(tmp_path, "check", REGWATCH_LOG_FORMAT="xml")
    assert "REGWATCH_LOG_FORMAT" in refused.value.stderr
