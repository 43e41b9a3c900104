"""The ``--output`` option every benchmark script takes."""

import argparse
from pathlib import Path

from tests.live_server import ROOT


def add_output_argument(parser: argparse.ArgumentParser, committed: Path) -> None:
    """``--output FILE``, default ``committed`` (the figures the repository keeps): a partial
    or trial run names another file, so the committed figures stay those of a full run."""
    parser.add_argument(
        "--output",
        type=Path,
        default=committed,
        help=f"where the tables go (default {committed.relative_to(ROOT)}, the committed "
        "figures: give another file for a partial or trial run)",
    )
