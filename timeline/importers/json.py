"""The JSON format: one object with any of the sections ``jurisdictions``, ``authorities``,
``sectors``, ``materials`` and ``measures``, each a list of records (the curated dataset's
files, and what ``export_timeline`` writes)."""

from __future__ import annotations

import json

from ..dataset import SECTIONS
from .report import LoadError, Problem

MEDIA_TYPE = "application/json"


def read(data: bytes, source: str) -> dict:
    """The document in ``data``; a byte-order mark is allowed, as editors on Windows write one."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise _error(f"{source}: not UTF-8 text ({error.reason} at byte {error.start})") from error
    except json.JSONDecodeError as error:
        raise _error(f"{source}: not JSON: {error}") from error
    except RecursionError as error:
        raise _error(f"{source}: nested too deeply to be a dataset") from error
    if not isinstance(document, dict) or not set(document) & set(SECTIONS):
        raise _error(f"{source}: expected a JSON object with any of: {', '.join(SECTIONS)}")
    return document


def _error(message: str) -> LoadError:
    return LoadError([Problem("", "file", message)])
