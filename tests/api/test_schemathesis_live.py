"""Schemathesis' CLI, every check and every phase (examples, coverage, fuzzing, stateful),
against a real server on its own database: the schema states exactly what the server does.
CI runs a bounded, deterministic pass; ``make fuzz`` a long one (REGWATCH_FUZZ_EXAMPLES)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live_server import ROOT, demo_server

EXAMPLES = os.environ.get("REGWATCH_FUZZ_EXAMPLES", "8")

PHASES = "examples,coverage,fuzzing,stateful"


def generation() -> list[str]:
    """A fixed seed when asked for, fresh randomness for `make fuzz`, else deterministic."""
    if seed := os.environ.get("REGWATCH_FUZZ_SEED"):
        return ["--seed", seed]
    return [] if os.environ.get("REGWATCH_FUZZ_RANDOM") else ["--generation-deterministic"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with demo_server(tmp_path_factory.mktemp("schemathesis"), "fuzzer") as (base, token):
        yield base, token


def test_schemathesis_finds_nothing_in_any_phase(server, tmp_path):
    base, token = server
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file", str(Path(__file__).with_name("schemathesis.toml")),
        "run", f"{base}/api/schema/",
        "--checks", "all", "--phases", PHASES, "--max-examples", EXAMPLES,
        "--header", f"Authorization: Token {token}", "--no-color", "--request-timeout", "30",
        *generation(),
    ]  # fmt: skip
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks",
        "REGWATCH_FUZZ_BASE": base,
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=3000
    )
    report = result.stdout[-20000:] + result.stderr[-5000:]
    assert result.returncode == 0, report
