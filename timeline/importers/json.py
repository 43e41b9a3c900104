"""The JSON format: one object with any of the sections ``jurisdictions``, ``authorities``,
``sectors``, ``materials`` and ``measures``, each a list of records (the curated dataset's
files, and what ``export_timeline`` writes)."""

from __future__ import annotations

import json

from ..dataset import SECTIONS
from .report import LoadError, Problem

MEDIA_TYPE = "application/json"


class RepeatedKey(ValueError):
    """A JSON object names a member twice (RFC 8259 section 4 leaves the meaning to the
    reader; we refuse it rather than keep one silently)."""

    def __init__(self, key: str):
        self.key = key
        super().__init__(f"`{key}` is given twice in one object")


def unique_members(pairs: list[tuple[str, object]]) -> dict:
    """``object_pairs_hook`` for ``json.loads``: the object, or RepeatedKey."""
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise RepeatedKey(key)
            seen.add(key)
    return document


def read(data: bytes, source: str) -> dict:
    """The document in ``data``; a byte-order mark is allowed, as editors on Windows write one."""
    try:
        document = json.loads(data.decode("utf-8-sig"), object_pairs_hook=unique_members)
    except RepeatedKey as error:
        raise _error(f"{source}: {error}; give each member once") from error
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
