"""The feed's guarantee under concurrency, with real connections in real threads of another
process, on the suite's database engine (SQLite, or PostgreSQL when DATABASE_URL names it)."""

import json
import subprocess
import sys

import pytest

from tests.live_server import ROOT, fresh_database, manage, server_env


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    with fresh_database(tmp_path_factory.mktemp("overlap"), "overlap") as url:
        manage(server_env(url), "migrate", "--noinput")
        yield url


def run(database_url: str, scenario: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "tests.changelog.overlap", scenario],
        cwd=ROOT,
        env=server_env(database_url),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_transaction_that_started_first_and_commits_last_is_not_missed(database_url):
    seen = run(database_url, "started_first_commits_last")
    ours = {"started-first", "started-second"}
    polled = [key for key in seen["first_poll"] + seen["second_poll"] if key in ours]

    assert polled == [key for key in seen["all"] if key in ours]
    assert sorted(polled) == sorted(ours)
    if seen["vendor"] == "postgresql":  # there T2 did commit first, and is shown first
        assert seen["first_poll"][-1:] == ["started-second"]
        assert seen["second_poll"] == ["started-first"]


def test_a_change_is_shown_once_its_transaction_commits_and_never_twice(database_url):
    seen = run(database_url, "first_writer_holds_the_second")

    assert "first-writer" not in seen["during"] and "second-writer" not in seen["during"]
    assert seen["after_both"] == ["first-writer", "second-writer"]
    assert seen["all"][-2:] == ["first-writer", "second-writer"]
