"""gunicorn reads this file from the working directory. With PROMETHEUS_MULTIPROC_DIR set,
every worker writes its metrics there and /metrics adds them up (prometheus-client's
multiprocess mode): the directory is emptied when the server starts, so counters begin at
zero with it, and a worker's live gauges are dropped when it exits. Give each gunicorn server
a directory of its own."""

import os
import shutil
from pathlib import Path


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
