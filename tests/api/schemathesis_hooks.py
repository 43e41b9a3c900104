"""Schemathesis hooks for the live runs (``tests/api/test_schemathesis_live.py``, ``make fuzz``).

The schema names, by ``format``, the fields and parameters whose values must be an existing
record's natural key (``material-slug``, ``jurisdiction-code``...): OpenAPI cannot say which
values exist, so schema-valid data means values read from the server under test. Negative
cases are untouched: schemathesis still sends unknown values and checks they are refused."""

from __future__ import annotations

import json
import os
import urllib.request

import schemathesis
from hypothesis import strategies as st

BASE = os.environ["REGWATCH_FUZZ_BASE"]
# format -> (list endpoint, key in each item, extra query)
REFERENCES = {
    "material-slug": ("materials", "slug", ""),
    "material-group-slug": ("materials", "slug", "&category=group"),
    "authority-slug": ("authorities", "slug", ""),
    "sector-slug": ("sectors", "slug", ""),
    "jurisdiction-code": ("jurisdictions", "code", ""),
    "measure-key": ("measures", "key", ""),
}


def existing(resource: str, key: str, query: str) -> list[str]:
    url = f"{BASE}/api/v1/{resource}/?page_size=500{query}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return [item[key] for item in json.load(response)["results"]]


for name, (resource, key, query) in REFERENCES.items():
    values = existing(resource, key, query)
    if values:
        schemathesis.openapi.format(name, st.sampled_from(sorted(values)))
