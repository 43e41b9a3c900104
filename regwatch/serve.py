"""The web process: Granian serving ``regwatch.wsgi``.

    python -m regwatch.serve [Granian options]   e.g. --host 0.0.0.0 --port 8000 --workers 4

Granian parses HTTP and writes answers in Rust; each worker process runs the WSGI application
on one Python thread (``--blocking-threads 1``: a second thread only contends for the GIL).
Options given here come after the fixed ones and win over them (``--blocking-threads 4``).
The ``Procfile``'s ``web`` process, the tests that need a real server and the benchmark all
start RegWatch this way.

What Granian itself refuses, before RegWatch sees the request, with an empty body: a request
target over ``MAX_REQUEST_TARGET`` bytes (414), more than ``MAX_HEADER_FIELDS`` header fields
or a header section over its buffer (431), a request it cannot parse (400). The schema says
so for every operation (``api.schema.describe_transport_refusals``).

With ``PROMETHEUS_MULTIPROC_DIR`` set, every worker writes its metrics there and ``/metrics``
adds them up (prometheus-client's multiprocess mode). The directory is emptied here, before
Granian starts, so counters begin at zero with the server: give each server a directory of
its own. prometheus-client's ``mark_process_dead`` is not needed: it drops the files of gauges
in a ``live`` mode, and RegWatch has none (``tests/ops/test_metrics.py``).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

APPLICATION = "regwatch.wsgi:application"
# Granian's HTTP/1 parser's own limits, which no option changes (tests/ops/test_serve.py).
MAX_REQUEST_TARGET = 65_534
MAX_HEADER_FIELDS = 100
FIXED_OPTIONS = (
    "--interface", "wsgi",
    "--blocking-threads", "1",
    "--no-ws",
    "--respawn-failed-workers",
    "--workers-kill-timeout", "30",
)  # fmt: skip


def command(*options: str, application: str = APPLICATION) -> list[str]:
    """The Granian command line serving ``application`` with the fixed options, then
    ``options``."""
    return [sys.executable, "-m", "granian", *FIXED_OPTIONS, *options, application]


def reset_metrics_directory() -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True)


def main(options: list[str]) -> None:
    reset_metrics_directory()
    argv = command(*options)
    os.execv(argv[0], argv)  # Granian takes this process: signals reach it directly


if __name__ == "__main__":
    main(sys.argv[1:])
