import datetime

import pytest
from django.utils import timezone

from tests.api.conftest import error_attrs, keys, results

URL = "/api/v1/measures/"


def test_list_has_pagination_envelope_and_full_representation(client, demo_data):
    from timeline.models import Measure, MeasureMaterial

    body = client.get(URL).json()
    assert body["count"] == Measure.objects.count() == len(body["results"])
    assert body["next"] is None and body["previous"] is None
    measure = next(m for m in body["results"] if m["key"] == "cn-mofcom-gac-2025-70")
    assert measure["jurisdiction"] == "CN"
    assert measure["authorities"] == ["gac", "mofcom"]
    assert measure["status"] == "ended"
    # The demo data records the suspension's end as announced, not confirmed.
    assert measure["status_confirmed"] is False
    assert measure["ends_on"] == "2026-11-10"
    assert {r["measure"] for r in measure["related"]} >= {
        "cn-mofcom-gac-2025-55",
        "cn-mofcom-2025-62",
    }
    assert {r["relation"] for r in measure["related"]} == {"suspends"}
    links = MeasureMaterial.objects.filter(measure__key="cn-mofcom-gac-2025-70")
    assert measure["materials"] == [
        {"material": link.material.slug, "name": link.material.name, "scope": link.scope}
        for link in links.select_related("material").order_by("material__name")
    ]
    assert measure["url"].endswith("/api/v1/measures/cn-mofcom-gac-2025-70/")


def test_default_order_is_newest_effective_first_then_key_with_undated_last(client, demo_data):
    listed = keys(client.get(URL, {"page_size": 50}))
    assert listed[0] == "cn-mofcom-2025-72"
    assert listed[-1] == "us-nhtsa-cafe-rollback-2025"  # no effective_on
    assert listed.index("cn-mofcom-gac-2025-55") < listed.index("cn-mofcom-gac-2025-56")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"material": "dysprosium", "in_force_on": "2025-06-01"},
         {"cn-mofcom-gac-2025-18", "eu-2024-1252-crma", "us-bis-232-critical-minerals-2025"}),
        # 2025-61 lists "rare earth elements" and was in force before its suspension on 2025-11-07.
        ({"material": "dysprosium", "in_force_on": "2025-11-06"},
         {"cn-mofcom-gac-2025-18", "eu-2024-1252-crma", "us-bis-232-critical-minerals-2025",
          "cn-mofcom-2025-61"}),
        ({"material": "dysprosium", "in_force_on": "2025-11-07"},
         {"cn-mofcom-gac-2025-18", "eu-2024-1252-crma", "us-bis-232-critical-minerals-2025",
          "cn-mofcom-gac-2025-70"}),
        ({"material": "medium-and-heavy-rare-earth-elements", "measure_type": "export_licence_requirement"},
         {"cn-mofcom-gac-2025-18", "cn-mofcom-gac-2025-57"}),
        # The umbrella group finds every rare-earth-related measure, technology controls too.
        ({"material": "rare-earth-supply-chain"},
         {"cn-mofcom-gac-2025-18", "cn-mofcom-gac-2025-56", "cn-mofcom-gac-2025-57",
          "cn-mofcom-gac-2025-70", "cn-mofcom-2025-61", "cn-mofcom-2025-62", "eu-2024-1252-crma",
          "us-bis-232-critical-minerals-2025", "cn-tech-catalogue-2023"}),
        ({"jurisdiction": "US,EU"},
         {"us-bis-232-critical-minerals-2025", "us-nhtsa-cafe-rollback-2025", "eu-2024-1252-crma"}),
        ({"authority": "most"}, {"cn-tech-catalogue-2023"}),
        ({"target": "US"}, {"cn-mofcom-2024-46-art1", "cn-mofcom-2024-46-art2", "cn-mofcom-2025-72"}),
        ({"sector": "lasers"}, {"cn-mofcom-gac-2025-57"}),
        ({"measure_type": "suspension,investigation"},
         {"cn-mofcom-gac-2025-70", "cn-mofcom-2025-72", "us-bis-232-critical-minerals-2025"}),
        # No. 70 lists the materials of each announcement it suspends, No. 62's technology too.
        ({"material_category": "technology"},
         {"cn-tech-catalogue-2023", "cn-mofcom-2025-62", "cn-mofcom-gac-2025-70"}),
        ({"status": "upcoming", "as_of": "2026-11-29"}, {"us-nhtsa-cafe-rollback-2025"}),
        ({"status": "suspended", "as_of": "2026-11-26"}, {"cn-mofcom-2024-46-art2"}),
        ({"status": "suspended", "as_of": "2026-11-27"}, set()),
        ({"status": "ended,upcoming", "as_of": "2026-11-29"},
         {"cn-mofcom-gac-2025-70", "cn-mofcom-2025-72", "us-nhtsa-cafe-rollback-2025"}),
        ({"announced_after": "2025-11-07", "announced_before": "2025-11-09"},
         {"cn-mofcom-gac-2025-70", "cn-mofcom-2025-72"}),
        ({"effective_after": "2023-12-01", "effective_before": "2023-12-21"},
         {"cn-mofcom-gac-2023-39", "cn-tech-catalogue-2023"}),
        ({"q": "GALLIUM", "announced_after": "2025-11-01"}, {"cn-mofcom-2025-72"}),
    ],
)  # fmt: skip
def test_filters(client, demo_data, params, expected):
    assert set(keys(client.get(URL, {**params, "page_size": 100}))) == expected


@pytest.mark.parametrize(
    ("day", "expected_in_force"),
    [("2025-11-07", False), ("2025-11-08", False), ("2026-11-09", False), ("2026-11-10", True)],
)
def test_in_force_on_at_suspension_boundaries(client, demo_data, day, expected_in_force):
    found = keys(client.get(URL, {"in_force_on": day, "page_size": 100}))
    assert ("cn-mofcom-gac-2025-55" in found) is expected_in_force


def test_status_defaults_to_today(client, demo_data):
    today = timezone.localdate().isoformat()
    assert set(keys(client.get(URL, {"status": "in_force", "page_size": 100}))) == set(
        keys(client.get(URL, {"in_force_on": today, "page_size": 100}))
    )


def test_multi_value_filters_combine_with_and(client, demo_data):
    found = keys(client.get(URL, {"jurisdiction": "CN", "target": "US", "material": "graphite"}))
    assert set(found) == {"cn-mofcom-2024-46-art2", "cn-mofcom-2025-72"}


@pytest.mark.parametrize(
    ("ordering", "first", "last"),
    [
        ("key", "cn-mofcom-2024-46-art1", "us-nhtsa-cafe-rollback-2025"),
        ("-key", "us-nhtsa-cafe-rollback-2025", "cn-mofcom-2024-46-art1"),
        ("announced_on", "cn-mofcom-gac-2023-23", "us-nhtsa-cafe-rollback-2025"),
        ("-announced_on", "us-nhtsa-cafe-rollback-2025", "cn-mofcom-gac-2023-23"),
        ("effective_on", "cn-mofcom-gac-2023-23", "us-nhtsa-cafe-rollback-2025"),
        ("title", "cn-mofcom-2024-46-art1", "cn-mofcom-2025-72"),
    ],
)
def test_ordering(client, demo_data, ordering, first, last):
    listed = keys(client.get(URL, {"ordering": ordering, "page_size": 100}))
    assert (listed[0], listed[-1]) == (first, last)


def test_updated_since_returns_only_later_changes(client, editor_client, demo_data):
    cutoff = timezone.now()
    editor_client.patch(URL + "cn-mofcom-2025-62/", {"summary": "Revised."}, format="json")
    assert keys(client.get(URL, {"updated_since": cutoff.isoformat()})) == ["cn-mofcom-2025-62"]
    future = (timezone.now() + datetime.timedelta(seconds=5)).isoformat()
    assert keys(client.get(URL, {"updated_since": future})) == []


def test_updated_since_is_inclusive(client, demo_data):
    newest = max(m["updated_at"] for m in results(client.get(URL, {"page_size": 100})))
    assert len(keys(client.get(URL, {"updated_since": newest}))) >= 1


def test_pagination_pages_through_everything_once(client, demo_data):
    seen, page = [], 1
    while True:
        body = client.get(URL, {"page_size": 7, "page": page}).json()
        seen += [m["key"] for m in body["results"]]
        if not body["next"]:
            break
        page += 1
    assert len(seen) == len(set(seen)) == 19


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"status": "bogus"}, "status"),
        ({"measure_type": "embargo"}, "measure_type"),
        ({"ordering": "colour"}, "ordering"),
        ({"in_force_on": "2025-02-30"}, "in_force_on"),
        ({"as_of": "yesterday"}, "as_of"),
        ({"effective_after": "2025-13-01"}, "effective_after"),
        ({"updated_since": "not-a-time"}, "updated_since"),
        ({"jurisdiction": "CN,XX"}, "jurisdiction"),
        ({"material": "unobtainium"}, "material"),
        ({"material_category": "gas"}, "material_category"),
        ({"authority": "nobody"}, "authority"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "501"}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
    ],
)
def test_bad_filter_value_is_400_naming_the_parameter(client, demo_data, params, parameter):
    response = client.get(URL, params)
    assert response.status_code == 400
    assert error_attrs(response) == {parameter}
    assert response.json()["type"] == "validation_error"


def test_unknown_value_error_names_the_value(client, demo_data):
    body = client.get(URL, {"jurisdiction": "CN,XX,YY"}).json()
    assert "`XX`, `YY`" in body["errors"][0]["detail"]


def test_page_past_the_end_is_404_json(client, demo_data):
    response = client.get(URL, {"page": 99})
    assert response.status_code == 404
    assert response.json()["type"] == "client_error"


def test_filtersets_alive_at_once_each_filter_by_their_own_parameters(demo_data):
    """Filters are shared between requests (only shallow copies are made per request): each
    filterset's method filters must still read their own parameters."""
    from django.http import QueryDict

    from api.filters import MeasureFilterSet
    from timeline.models import Material, Measure

    def filterset(query: str) -> MeasureFilterSet:
        return MeasureFilterSet(QueryDict(query), queryset=Measure.objects.all())

    gallium, graphite = filterset("material=gallium"), filterset("material=graphite")
    gallium_on_day = filterset("material=gallium&in_force_on=2024-01-01")
    got = {name: set(f.qs.values_list("key", flat=True))
           for name, f in [("graphite", graphite), ("gallium", gallium), ("day", gallium_on_day)]}  # fmt: skip
    assert got["gallium"] == set(
        Measure.objects.matching_materials(Material.objects.filter(slug="gallium")).values_list(
            "key", flat=True
        )
    )
    assert got["graphite"] and got["gallium"] and got["graphite"] != got["gallium"]
    assert got["day"] < got["gallium"]
    assert gallium.filters["material"].parent is gallium
    assert graphite.filters["material"].filter.f is graphite.filters["material"]
