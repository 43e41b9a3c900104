"""`facets=` on the measures list: counts per value for the current filters, each with the
address that applies it, in a fixed number of queries."""

import datetime
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import results
from timeline.facets import FACETS

ALL = ",".join(FACETS)
URL = "/api/v1/measures/"
FILTERS = [{}, {"jurisdiction": "CN"}, {"material": "rare-earth-elements", "as_of": "2025-06-01"}]


def facets(client, params) -> dict:
    response = client.get("/api/v1/measures/", {**params, "facets": ALL, "page_size": 1})
    assert response.status_code == 200, response.content
    return response.json()["facets"]


def counted(items: list[dict], facet: str, statuses: dict[str, str | None]) -> Counter:
    """What each facet should count, worked out from the JSON items themselves."""
    values = Counter()
    for item in items:
        if facet == "jurisdiction":
            values[item["jurisdiction"]] += 1
        elif facet == "measure_type":
            values[item["measure_type"]] += 1
        elif facet == "status":
            values[statuses[item["key"]]] += 1
        elif facet == "year":
            values[int(item["effective_on"][:4]) if item["effective_on"] else None] += 1
        else:
            field, key = {
                "material": ("materials", "material"),
                "authority": ("authorities", None),
                "target": ("target_jurisdictions", None),
                "sector": ("sectors", None),
            }[facet]
            for entry in item[field]:
                values[entry[key] if key else entry] += 1
    return values


def statuses_on(client, params, day: str | None) -> dict[str, str | None]:
    """Each measure's status on ``day``, as the status filter sees it."""
    found: dict[str, str | None] = {}
    for status in ("upcoming", "in_force", "suspended", "ended"):
        query = {**params, "status": status, "page_size": 500, **({"as_of": day} if day else {})}
        for item in results(client.get("/api/v1/measures/", query)):
            found[item["key"]] = status
    return found


@pytest.mark.parametrize("params", FILTERS)
def test_facet_counts_are_the_counts_of_every_matching_measure(client, demo_data, params):
    items = results(client.get("/api/v1/measures/", {**params, "page_size": 500}))
    statuses = statuses_on(client, {k: v for k, v in params.items() if k != "as_of"},
                           params.get("as_of"))  # fmt: skip
    statuses = {item["key"]: statuses.get(item["key"]) for item in items}
    answer = facets(client, params)
    assert list(answer) == list(FACETS)
    for facet in FACETS:
        got = Counter({entry["value"]: entry["count"] for entry in answer[facet]})
        assert got == counted(items, facet, statuses), facet
        counts = [entry["count"] for entry in answer[facet]]
        if facet != "year":
            assert counts == sorted(counts, reverse=True)


def test_status_counts_are_on_the_as_of_day(client, demo_data):
    early = {e["value"]: e["count"] for e in facets(client, {"as_of": "2023-01-01"})["status"]}
    late = {e["value"]: e["count"] for e in facets(client, {"as_of": "2030-01-01"})["status"]}
    assert early != late
    assert early.get(None, 0) > late.get(None, 0)  # fewer announced by 2023


@pytest.mark.parametrize("facet", ["jurisdiction", "measure_type", "status", "year", "sector"])
def test_each_value_links_to_the_list_with_it_applied(client, demo_data, facet):
    for entry in facets(client, {"as_of": "2025-06-01"})[facet]:
        if entry["value"] is None:
            assert entry["url"] is None
            continue
        response = client.get(entry["url"].replace("http://testserver", ""))
        assert response.status_code == 200
        assert response.json()["count"] == entry["count"], entry


def test_values_have_their_labels(client, demo_data):
    answer = facets(client, {})
    labels = {facet: {e["value"]: e["label"] for e in answer[facet]} for facet in FACETS}
    assert labels["jurisdiction"]["CN"] == "China"
    assert labels["measure_type"]["export_prohibition"] == "Export prohibition"
    assert labels["material"]["gallium"] == "Gallium"
    assert labels["status"]["in_force"] == "In force"


def test_facets_cost_one_query_each_whatever_the_data(client, demo_data, make_measure):
    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as plain:
            client.get("/api/v1/measures/", {"jurisdiction": "CN"})
        with CaptureQueriesContext(connection) as faceted:
            client.get("/api/v1/measures/", {"jurisdiction": "CN", "facets": ALL})
        return len(plain), len(faceted)

    before = queries()
    for number in range(30):
        make_measure(key=f"more-{number}", effective_on=datetime.date(2020 + number % 5, 1, 1))
    after = queries()
    assert before == after
    assert after[1] - after[0] == len(FACETS)


def test_an_unknown_facet_is_a_400_listing_them(client, demo_data):
    response = client.get("/api/v1/measures/", {"facets": "year,colour"})
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["attr"] == "facets"
    assert "colour" in error["detail"] and "jurisdiction" in error["detail"]


def test_the_list_has_no_facets_unless_asked(client, demo_data):
    assert "facets" not in client.get("/api/v1/measures/").json()


def test_an_export_refuses_facets(client, demo_data):
    response = client.get("/api/v1/measures/", {"facets": "year", "format": "csv"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "facets"


def test_status_filter_facet_and_rows_use_the_same_day(client, demo_data):
    """With ``in_force_on`` and no ``as_of``, the status filter, the status facet and each
    row's status are all for that day (``as_of`` defaults to it)."""
    day = "2026-01-01"
    listed = client.get(URL, {"in_force_on": day, "facets": "status", "page_size": 500}).json()
    assert {m["status"] for m in listed["results"]} == {"in_force"}
    assert [(v["value"], v["count"]) for v in listed["facets"]["status"]] == [
        ("in_force", listed["count"])
    ]
    for status in ("ended", "upcoming", "suspended"):
        assert client.get(URL, {"in_force_on": day, "status": status}).json()["count"] == 0
    everything = client.get(URL, {"as_of": day, "page_size": 500}).json()["results"]
    for status in ("in_force", "ended"):
        body = client.get(URL, {"as_of": day, "status": status, "page_size": 500}).json()
        assert {m["key"] for m in body["results"]} == {
            m["key"] for m in everything if m["status"] == status
        }
