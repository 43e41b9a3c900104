"""The web process: Granian serving ``regwatch.wsgi``.

    python -m regwatch.serve [Granian options]   e.g. --host 0.0.0.0 --port 8000 --workers 4

Granian parses HTTP/1.1 and writes answers in Rust; each worker process runs the WSGI
application on one Python thread (``--blocking-threads 1``: a second thread only contends for
the GIL). HTTP/2 is off (``--http 1``): without TLS it is only ever spoken to a server on
purpose, and over it Granian's limits below do not hold (a proxy in front speaks HTTP/2 to
clients).
Options given here come after the fixed ones and win over them (``--blocking-threads 4``).
The ``Procfile``'s ``web`` process, the tests that need a real server and the benchmark all
start RegWatch this way. It stays Granian's parent (see ``main``): stop it, not Granian.

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

import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from ops.log_format import JSON_FORMATTER

APPLICATION = "regwatch.serve:load_application"
# Granian's HTTP/1 parser's own limits, which no option changes (tests/ops/test_serve.py).
MAX_REQUEST_TARGET = 65_534
MAX_HEADER_FIELDS = 100
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)  # what Granian stops on
PR_SET_PDEATHSIG = 1  # from linux/prctl.h
FIXED_OPTIONS = (
    "--interface", "wsgi",
    "--http", "1",
    "--blocking-threads", "1",
    "--no-ws",
    "--respawn-failed-workers",
    "--workers-kill-timeout", "30",
    # Granian's access line, with the query (which its own leaves out): the question asked.
    "--access-log-fmt",
    '[%(time)s] %(addr)s - "%(method)s %(path)s %(protocol)s" %(status)d %(dt_ms).3f '
    "query=%(query_string)s",
)  # fmt: skip


def command(*options: str, application: str = APPLICATION, factory: bool = True) -> list[str]:
    """The Granian command line serving ``application`` (a function that returns the WSGI
    application when ``factory``, else the application) with the fixed options, then
    ``options``."""
    loading = ("--factory",) if factory else ()
    return [sys.executable, "-m", "granian", *FIXED_OPTIONS, *loading, *options, application]


def load_application():
    """The WSGI application, as each Granian worker loads it.

    A worker starts with its master's signal handlers, which only note a signal on the
    master's behalf, and puts its own in place once the application is loaded: a SIGTERM or
    Ctrl-C that came meanwhile (a server stopped right after it started) was lost, and the
    master waited out its 30 s kill timeout. Here such a signal is kept while the application
    loads and sent again once the worker's own handler is in place."""
    kept: list[int] = []

    def keep(signum, frame):
        kept.append(signum)

    inherited = signal.getsignal(signal.SIGTERM)
    for signum in STOP_SIGNALS:
        signal.signal(signum, keep)
    # The master's handler marks the master's state, which the worker holds a copy of: a
    # signal that came before this function ran is found there.
    if getattr(getattr(inherited, "__self__", None), "interrupt_signal", False) is True:
        kept.append(signal.SIGTERM)
    from regwatch.wsgi import application

    if kept:
        threading.Thread(target=_deliver_again, args=(kept[0], keep), daemon=True).start()
    return application


def _deliver_again(signum: int, keeping) -> None:
    """Sends ``signum`` to this process once its handler is no longer ``keeping``, and a moment
    later, once Granian has tied its handler to the worker's shutdown."""
    while signal.getsignal(signum) is keeping:
        time.sleep(0.01)
    time.sleep(0.05)
    os.kill(os.getpid(), signum)


def reset_metrics_directory() -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True)


def log_options(directory: str) -> list[str]:
    """With ``REGWATCH_LOG_FORMAT=json``, Granian's own records (the server's and the access
    log's) are JSON objects a line too, as the application's are: a logging configuration
    for Granian, written in ``directory``."""
    if os.environ.get("REGWATCH_LOG_FORMAT") != "json":
        return []
    path = Path(directory) / "granian-logging.json"
    path.write_text(
        json.dumps({"formatters": {"generic": JSON_FORMATTER, "access": JSON_FORMATTER}})
    )
    return ["--log-config", str(path)]


def _stop_with_parent() -> None:
    """In Granian's master, before it runs: SIGTERM when this process ends, however it ends (a
    SIGKILL included), so the server never outlives it (Linux's PR_SET_PDEATHSIG)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def main(options: list[str]) -> int:
    """Runs Granian until it ends; its exit status (0 when stopped as asked). Granian runs in
    a session of its own, and a SIGTERM or SIGINT to this process is passed to Granian's
    master alone, as SIGTERM: a Ctrl-C reaching the master and its workers at once left a
    worker that never stopped, and the master waited out its 30 s kill timeout every time. A
    signal the process was started ignoring (SIGINT after a shell's `&`) stays ignored."""
    reset_metrics_directory()
    with tempfile.TemporaryDirectory(prefix="regwatch-serve-") as directory:
        server = subprocess.Popen(command(*log_options(directory), *options),
                                  start_new_session=True, preexec_fn=_stop_with_parent)  # fmt: skip

        stopping = []

        def stop(signum, frame):
            stopping.append(signum)
            server.send_signal(signal.SIGTERM)

        for signum in STOP_SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:  # as a shell's `&` leaves SIGINT
                signal.signal(signum, stop)
        status = server.wait()
    if status == -signal.SIGTERM and stopping:
        return 0  # stopped as asked, before Granian had its own handler in place
    return 128 - status if status < 0 else status  # a signal's death, as a shell reports it


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
