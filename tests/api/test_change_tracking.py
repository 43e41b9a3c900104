"""``updated_since`` never misses: any write that changes how a measure is shown, through the
API, the admin or the loader, moves that measure's ``updated_at``, and only those measures'."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.admin_forms import admin_change
from timeline.importers import load
from timeline.models import Authority, Jurisdiction, Material, Measure, Sector

URL = "/api/v1/measures/"


def bodies(client) -> dict[str, dict]:
    """Every measure as the API shows it, by key, without its updated_at."""
    response = client.get(URL, {"page_size": 500})
    assert response.status_code == 200, response.content
    return {
        item["key"]: {name: value for name, value in item.items() if name != "updated_at"}
        for item in response.json()["results"]
    }


def updated_since(client, moment) -> set[str]:
    response = client.get(URL, {"updated_since": moment.isoformat(), "page_size": 500})
    assert response.status_code == 200, response.content
    return {item["key"] for item in response.json()["results"]}


def shown_by(**lookup) -> set[str]:
    return set(Measure.objects.filter(**lookup).values_list("key", flat=True))


def material_record(slug: str, **changes) -> dict:
    """A material as the loader's format has it, with ``changes``."""
    material = Material.objects.get(slug=slug)
    record = {
        "slug": material.slug,
        "name": material.name,
        "category": material.category,
        "symbol": material.symbol,
        "atomic_number": material.atomic_number,
        "cas_number": material.cas_number,
        "hs_codes": material.hs_codes,
        "groups": list(material.groups.values_list("slug", flat=True)),
    }
    return {**record, **changes}


@dataclass
class Write:
    write: Callable  # (editor_client, admin_client) -> response or None
    shown_by: Callable[[], set[str]]  # the measures it should move, read before it
    setup: Callable | None = None  # (editor_client) -> None, before the clock starts


def ok(response):
    status = getattr(response, "status_code", 200)  # the loader returns a report
    assert status in (200, 204, 302), response.content[:500]


WRITES = {
    "API: material renamed": Write(
        lambda api, admin: api.patch(
            "/api/v1/materials/gallium/", {"name": "Gallium metal"}, format="json"
        ),
        lambda: shown_by(materials__slug="gallium"),
    ),
    "API: material's HS codes changed (not shown in measures)": Write(
        lambda api, admin: api.patch(
            "/api/v1/materials/gallium/", {"hs_codes": ["811292"]}, format="json"
        ),
        set,
    ),
    "API: sector renamed (its name orders the slugs)": Write(
        lambda api, admin: api.patch(
            "/api/v1/sectors/semiconductors/", {"name": "Chips"}, format="json"
        ),
        lambda: shown_by(sectors__slug="semiconductors"),
    ),
    "API: authority renamed (only its slug is shown)": Write(
        lambda api, admin: api.patch(
            "/api/v1/authorities/mofcom/", {"name": "Ministry of Commerce"}, format="json"
        ),
        set,
    ),
    "API: jurisdiction renamed (only its code is shown)": Write(
        lambda api, admin: api.patch("/api/v1/jurisdictions/CN/", {"name": "PRC"}, format="json"),
        set,
    ),
    "admin: material slug changed": Write(
        lambda api, admin: admin_change(
            admin, Material.objects.get(slug="gallium"), slug="gallium-metal"
        ),
        lambda: shown_by(materials__slug="gallium"),
    ),
    "admin: authority slug changed": Write(
        lambda api, admin: admin_change(
            admin, Authority.objects.get(slug="mofcom"), slug="mofcom-prc"
        ),
        lambda: shown_by(authorities__slug="mofcom"),
    ),
    "admin: jurisdiction code changed": Write(
        lambda api, admin: admin_change(admin, Jurisdiction.objects.get(code="US"), code="USA"),
        lambda: shown_by(jurisdiction__code="US") | shown_by(target_jurisdictions__code="US"),
    ),
    "admin: sector slug changed": Write(
        lambda api, admin: admin_change(admin, Sector.objects.get(slug="solar"), slug="solar-pv"),
        lambda: shown_by(sectors__slug="solar"),
    ),
    "admin: measure key changed": Write(
        lambda api, admin: admin_change(
            admin, Measure.objects.get(key="cn-mofcom-2024-46-art2"), key="cn-mofcom-2024-46-a2"
        ),
        lambda: {"cn-mofcom-2024-46-a2", "cn-mofcom-2024-46-art1", "cn-mofcom-2025-72"},
    ),
    "loader: material renamed": Write(
        lambda api, admin: load([{"materials": [material_record("germanium", name="Ge")]}]),
        lambda: shown_by(materials__slug="germanium"),
    ),
}


@pytest.mark.parametrize("case", WRITES.values(), ids=WRITES.keys())
def test_updated_since_returns_exactly_the_measures_a_write_changed(
    client, editor_client, admin_client, demo_data, case
):
    if case.setup:
        case.setup(editor_client)
    expected = case.shown_by()
    before = bodies(client)
    moment = timezone.now()
    ok(case.write(editor_client, admin_client))
    after = bodies(client)
    changed = {key for key, body in after.items() if before.get(key) != body}
    assert changed <= updated_since(client, moment)  # never missed
    assert updated_since(client, moment) == expected


def test_a_renamed_material_changes_the_etag_and_updated_at_of_its_measures(
    client, editor_client, demo_data
):
    url = f"{URL}cn-mofcom-2024-46-art2/"
    before = client.get(url)
    editor_client.patch("/api/v1/materials/gallium/", {"name": "Gallium metal"}, format="json")
    after = client.get(url)
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.json()["updated_at"] > before.json()["updated_at"]
    assert {"material": "gallium", "name": "Gallium metal", "scope": "dual-use items"} in (
        after.json()["materials"]
    )


def test_renaming_a_material_costs_the_same_queries_however_many_measures_show_it(
    editor_client, demo_data, make_measure
):
    def rename(name: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = editor_client.patch(
                "/api/v1/materials/tungsten/", {"name": name}, format="json"
            )
        assert response.status_code == 200, response.content
        return len(queries)

    few = rename("Tungsten metal")
    tungsten = Material.objects.get(slug="tungsten")
    for _ in range(25):
        make_measure(materials=[tungsten])
    assert rename("Wolfram") == few
