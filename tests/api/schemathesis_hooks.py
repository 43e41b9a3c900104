"""Schemathesis hooks for the live runs (``tests/api/test_schemathesis_live.py``, ``make fuzz``).

The schema names, by ``format``, the fields and parameters whose values must be an existing
record's natural key (``material-slug``, ``jurisdiction-code``...): OpenAPI cannot say which
values exist, so schema-valid data means values read from the server under test. Negative
cases are untouched: schemathesis still sends unknown values and checks they are refused."""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import urllib.error
import urllib.request
from email.message import Message
from urllib.parse import urlsplit

import schemathesis
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.dateparse import parse_datetime
from django.utils.http import parse_http_date_safe
from hypothesis import strategies as st

from api.conditional import etag_matches
from timeline.precision import PartialDate

BASE = os.environ["REGWATCH_FUZZ_BASE"]
# format -> (list endpoint, key in each item, extra query)
REFERENCES = {
    "material-slug": ("materials", "slug", ""),
    "material-group-slug": ("materials", "slug", "&category=group"),
    "authority-slug": ("authorities", "slug", ""),
    "sector-slug": ("sectors", "slug", ""),
    "jurisdiction-code": ("jurisdictions", "code", ""),
    "measure-key": ("measures", "key", ""),
    "hs-code": ("hs", "code", ""),  # the chapters: each a listed code
}
# Days the timeline takes (``timeline.models.EARLIEST_DATE`` and ``LATEST_DATE``).
EARLIEST_DAY, LATEST_DAY = "1900-01-01", "2199-12-31"
DAY_FIELDS = ("announced_on", "effective_on", "ends_on", "date", "published_on")


def existing(resource: str, key: str, query: str) -> list[str]:
    url = f"{BASE}/api/v1/{resource}/?page_size=500{query}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return [item[key] for item in json.load(response)["results"]]


for name, (resource, key, query) in REFERENCES.items():
    values = existing(resource, key, query)
    if values:
        schemathesis.openapi.format(name, st.sampled_from(sorted(values)))

# The change feed's cursors: only those it handed out are cursors.
with urllib.request.urlopen(f"{BASE}/api/v1/changes/?limit=50", timeout=30) as _response:
    _cursors = [change["cursor"] for change in json.load(_response)["results"]]
if _cursors:
    schemathesis.openapi.format("change-cursor", st.sampled_from(_cursors))


# ---------------------------------------------------------------- rules a schema cannot state
# A positive case must be valid, and some validity is not expressible in OpenAPI. Each rule
# below is written in the field's description and listed in the README; positive cases that
# break one are not generated (negative ones still are, and must be refused).

with urllib.request.urlopen(f"{BASE}/api/schema/?format=json", timeout=30) as _response:
    RAW_SCHEMA = json.load(_response)
KNOWN: dict[str, set[str]] = {}


def refresh_known() -> None:
    """Read the existing records again (a write of the run may have added or removed one)."""
    KNOWN.update(
        {
            name: {
                value.upper() if name == "jurisdiction-code" else value for value in existing(*spec)
            }
            for name, spec in REFERENCES.items()
        }
    )


refresh_known()
LOOKUPS = ("key", "slug", "code")


def resolve(node: dict) -> dict:
    while isinstance(node, dict) and "$ref" in node:
        target = RAW_SCHEMA
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def references_exist(value, schema: dict) -> bool:
    """Every value whose schema names a reference ``format`` names an existing record."""
    schema = resolve(schema)
    known = KNOWN.get(schema.get("format"))
    if known is not None and isinstance(value, str):
        wanted = value.strip().upper() if schema["format"] == "jurisdiction-code" else value
        if schema["format"] == "hs-code":
            wanted = value.replace(".", "").replace(" ", "")
        return wanted in known
    if isinstance(value, list) and "items" in schema:
        return all(references_exist(item, schema["items"]) for item in value)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        return all(
            references_exist(item, properties[name])
            for name, item in value.items()
            if name in properties
        )
    return True


def query_references_exist(case) -> bool:
    for parameter in case.operation.definition.raw.get("parameters", []):
        value = (case.query or {}).get(parameter["name"])
        if parameter["in"] != "query" or value in (None, ""):
            continue
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list):
            items = [items]
        if not references_exist([str(item) for item in items], parameter["schema"]):
            return False
    return True


def current(case) -> tuple[dict | None, Message]:
    """The resource the case's path names, and its response headers, read without regard to
    case as HTTP names them (the server may send ``etag``); None and no headers when it does
    not exist."""
    request = urllib.request.Request(f"{BASE}{case.formatted_path}")
    request.add_header("Authorization", case.headers.get("Authorization", ""))
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response), response.headers
    except urllib.error.HTTPError:
        return None, Message()


def preconditions_hold(headers: dict, current_headers: Message) -> bool:
    """A write's preconditions are about the resource's state (RFC 9110 section 13.2.2):
    If-Match names the current ETag (or is *); without it, If-Unmodified-Since is not before
    the Last-Modified; If-None-Match names no current version (and is not *)."""
    etag = current_headers.get("ETag")
    wanted = headers.get("If-Match")
    if wanted is not None:
        if wanted.strip() != "*" and wanted != etag:
            return False
    elif (since := headers.get("If-Unmodified-Since")) is not None:
        since_at = parse_http_date_safe(since)
        modified = parse_http_date_safe(current_headers.get("Last-Modified") or "")
        if since_at is not None and modified is not None and modified > since_at:
            return False
    unwanted = headers.get("If-None-Match")
    return unwanted is None or not (etag and etag_matches(unwanted, etag))


URL = URLValidator()


def urls_valid(value, schema: dict) -> bool:
    """Every URL in the body is one the server's URL validator takes (a host label holds at
    most 63 characters, which ``format: uri`` does not say)."""
    schema = resolve(schema)
    if schema.get("format") == "uri" and isinstance(value, str) and value:
        try:
            URL(value)
        except ValidationError:
            return False
        return True
    if isinstance(value, list) and "items" in schema:
        return all(urls_valid(item, schema["items"]) for item in value)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        return all(
            urls_valid(item, properties[name]) for name, item in value.items() if name in properties
        )
    for alternative in schema.get("oneOf", []) + schema.get("anyOf", []):
        if resolve(alternative).get("format") == "uri":
            return urls_valid(value, alternative)
    return True


def first_day(text: str) -> str | None:
    """The first day of a date written YYYY-MM-DD, YYYY-MM or YYYY (None when it is none)."""
    try:
        return PartialDate.parse(text).date.isoformat()
    except ValueError:
        return None


def days_in_range(value) -> bool:
    """Every date in the body is one of the calendar, in the span the timeline takes."""
    if isinstance(value, dict):
        return all(
            (not isinstance(item, str) or EARLIEST_DAY <= (first_day(item) or "") <= LATEST_DAY)
            if name in DAY_FIELDS
            else days_in_range(item)
            for name, item in value.items()
        )
    if isinstance(value, list):
        return all(days_in_range(item) for item in value)
    return True


def receiver_allowed(url) -> bool:
    """A webhook receiver is reached over https, and not at an address of this machine or
    a private network (the live server does not allow them)."""
    if not isinstance(url, str):
        return True
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or host in ("localhost", "localhost.localdomain"):
        return False
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        return True  # a name: checked when a delivery resolves it


def body_rules_hold(case, stored: dict | None) -> bool:
    body = case.body if isinstance(case.body, dict) else {}
    if not days_in_range(body):
        return False
    if not receiver_allowed(body.get("target_url")):
        return False
    merged = {**(stored or {}), **body}
    # ends_on is the first day a measure no longer applies: after effective_on.
    ends_on, effective_on = merged.get("ends_on"), merged.get("effective_on")
    if (
        isinstance(ends_on, str)
        and isinstance(effective_on, str)
        and (first_day(ends_on) or "") <= (first_day(effective_on) or "")
    ):
        return False
    # Each list names an item once; a measure does not relate to itself.
    for name, key in (("materials", "material"), ("sources", "url")):
        items = [item.get(key) for item in body.get(name) or [] if isinstance(item, dict)]
        if len(items) != len(set(items)):
            return False
    relations = [
        (item.get("measure"), item.get("relation"))
        for item in body.get("related") or []
        if isinstance(item, dict)
    ]
    if len(relations) != len(set(relations)):
        return False
    own_key = merged.get("key")
    if own_key and any(measure == own_key for measure, _ in relations):
        return False
    # An update cannot change the key, slug or code in its address.
    if stored is not None:
        for name in LOOKUPS:
            if name in body and name in stored and body[name] != stored[name]:
                return False
    return True


# Operations whose body must be a whole file in a format the schema only names (a dataset in
# JSON or CSV): their positive cases are the schema's own examples.
FILE_BODIES = {("POST", "/api/v1/imports/")}


def known_moment_valid(query: dict) -> bool:
    """``as_known_on`` names a moment that has passed, and asks for JSON pages without facets
    (an answer as known is rebuilt as JSON only)."""
    if query.get("format", "json") != "json" or "facets" in query:
        return False
    moment = parse_datetime(str(query["as_known_on"]).replace(" ", "+"))
    try:
        return moment is None or moment <= datetime.datetime.now(datetime.UTC)
    except TypeError:  # no offset: refused as invalid anyway
        return True


def valid(case, *, example: bool = False) -> bool:
    """Whether a case keeps the rules above (checked for positive cases only); ``example``:
    the case is one of the schema's examples."""
    if (case.method.upper(), case.operation.path) in FILE_BODIES:
        return example
    query = case.query or {}
    if query.get("format", "json") != "json" and {"page", "page_size", "facets"} & set(query):
        return False  # an export is not paged and has no facets: asking is a 400
    if "as_known_on" in query and not known_moment_valid(query):
        return False
    if case.operation.path == "/api/v1/changes/" and query.get("after") not in (None, *_cursors):
        return False  # a cursor is only one the feed handed out
    if not query_references_exist(case):
        return False
    body_schema = (
        case.operation.definition.raw.get("requestBody", {})
        .get("content", {})
        .get("application/json", {})
        .get("schema")
    )
    if (
        body_schema
        and isinstance(case.body, dict)
        and not (references_exist(case.body, body_schema) and urls_valid(case.body, body_schema))
    ):
        return False
    if case.method.upper() in ("PUT", "PATCH", "DELETE"):
        stored, current_headers = current(case)
        if not preconditions_hold(dict(case.headers or {}), current_headers):
            return False
        return body_rules_hold(case, stored)
    return body_rules_hold(case, None)


@schemathesis.hook
def filter_case(context, case) -> bool:
    meta = case.meta
    return meta is None or meta.generation.mode.is_negative or valid(case)


@schemathesis.hook
def before_add_examples(context, examples: list) -> None:
    """The examples phase builds one case per operation from the schema; keep it only when it
    keeps the rules."""
    examples[:] = [case for case in examples if valid(case, example=True)]


@schemathesis.hook
def after_call(context, case, response) -> None:
    if case.method.upper() in ("POST", "PUT", "PATCH", "DELETE") and response.status_code < 300:
        refresh_known()
