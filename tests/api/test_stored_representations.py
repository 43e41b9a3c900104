"""Stored representations: the API's answers are the same whether a measure's representation is
read stored or built from its tables, and every write path leaves the ones it changes current
(otherwise reads fall back to building them: right, but slow)."""

import datetime
import random

import orjson
import pytest
from django.core.management import call_command

from tests.admin_forms import admin_change
from tests.api.conftest import results
from timeline.models import Authority, Material, Measure, MeasureRepresentation, Sector
from timeline.precision import period_start
from timeline.representation.store import not_current, status_on_day, status_turns
from timeline.services import delete_measure, restore_version
from timeline.status import status_certain, status_confirmed, status_on

QUESTIONS = [
    {"page_size": 500},
    {"page_size": 500, "in_force_on": "2025-06-01"},
    {"page_size": 500, "as_of": "2023-09-01"},
    {"page_size": 500, "material": "rare-earth-elements", "in_force_on": "2026-01-01"},
]


def not_current_keys() -> list[str]:
    return sorted(Measure.objects.filter(not_current()).values_list("key", flat=True))


def test_every_loaded_measure_has_a_current_representation(demo_data):
    assert Measure.objects.count() == MeasureRepresentation.objects.count() > 0
    assert not_current_keys() == []


@pytest.mark.parametrize("params", QUESTIONS)
def test_answers_read_stored_equal_answers_built_from_the_tables(client, demo_data, params):
    stored = client.get("/api/v1/measures/", params).json()
    details = [client.get(f"/api/v1/measures/{m['key']}/").json() for m in stored["results"]]
    MeasureRepresentation.objects.all().delete()
    assert client.get("/api/v1/measures/", params).json() == stored
    assert [
        client.get(f"/api/v1/measures/{m['key']}/").json() for m in stored["results"]
    ] == details


def test_a_representation_older_than_its_measure_is_not_used(client, demo_data):
    key = "cn-mofcom-2025-62"
    Measure.objects.filter(key=key).update(title="Retitled behind every write path's back")
    shown = client.get(f"/api/v1/measures/{key}/").json()
    assert shown["title"] != "Retitled behind every write path's back"
    Measure.objects.filter(key=key).update(updated_at=datetime.datetime.now(datetime.UTC))
    assert client.get(f"/api/v1/measures/{key}/").json()["title"] == (
        "Retitled behind every write path's back"
    )
    call_command("rebuild_representations", "--not-current", stdout=None)
    assert not_current_keys() == []


@pytest.mark.parametrize("read", ["turns", "computed"])
def test_the_status_from_stored_inputs_is_the_rule_on_every_day(demo_data, read):
    days = [datetime.date(2023, 1, 1) + datetime.timedelta(days=d) for d in range(1500)]
    for measure in Measure.objects.prefetch_related("events"):
        inputs = orjson.loads(measure.representation.status_inputs)
        assert inputs.pop("turns") if read == "computed" else inputs["turns"]
        events = [e for e in measure.events.all() if not e.derived]
        dates = {
            name: getattr(measure, name) for name in ("announced_on", "effective_on", "ends_on")
        }
        for day in days:
            assert status_on_day(inputs, day) == (
                status_on(day, **dates, events=[(e.date, e.type) for e in events]),
                status_confirmed(
                    day, **dates, events=[(e.date, e.type, e.scheduled) for e in events]
                ),
                status_certain(
                    day,
                    **{
                        name: (value, getattr(measure, f"{name}_precision"))
                        for name, value in dates.items()
                    },
                    events=[(e.date, e.type, e.date_precision) for e in events],
                ),
            ), (measure.key, day)


def test_a_representation_built_at_another_created_at_is_not_used(client, demo_data):
    key = "cn-mofcom-2025-62"
    moment = datetime.datetime(2001, 2, 3, 4, 5, 6, 789000, tzinfo=datetime.UTC)
    Measure.objects.filter(key=key).update(created_at=moment)
    assert client.get(f"/api/v1/measures/{key}/").json()["created_at"] == (
        "2001-02-03T04:05:06.789000Z"
    )
    listed = results(client.get("/api/v1/measures/", {"page_size": 500}))
    assert {m["key"]: m["created_at"] for m in listed}[key] == "2001-02-03T04:05:06.789000Z"
    assert not_current_keys() == [key]


def test_a_representation_stored_without_the_times_is_rebuilt(client, demo_data):
    """As a database upgraded from before the body held created_at and updated_at holds it."""
    key = "cn-mofcom-2025-62"
    expected = client.get(f"/api/v1/measures/{key}/").json()
    stored = MeasureRepresentation.objects.get(measure__key=key)
    body = orjson.loads(stored.body) | {"created_at": None, "updated_at": None}
    MeasureRepresentation.objects.filter(pk=stored.pk).update(
        created_at=None, body=orjson.dumps(body).decode()
    )
    assert client.get(f"/api/v1/measures/{key}/").json() == expected
    assert not_current_keys() == [key]
    call_command("rebuild_representations", "--not-current", stdout=None)
    assert not_current_keys() == []
    rewritten = orjson.loads(MeasureRepresentation.objects.get(pk=stored.pk).body)
    assert rewritten["created_at"] == expected["created_at"]


def test_api_writes_leave_it_current(editor_client, client, demo_data):
    key = "cn-mofcom-2025-62"
    response = editor_client.patch(
        f"/api/v1/measures/{key}/", {"title": "A new title"}, format="json"
    )
    assert response.status_code == 200
    assert not_current_keys() == []
    assert client.get(f"/api/v1/measures/{key}/").json()["title"] == "A new title"


def test_renaming_a_material_rewrites_the_measures_that_show_it(client, demo_data):
    material = Material.objects.get(slug="gallium")
    material.name = "Gallium (Ga)"
    material.save()
    assert not_current_keys() == []
    shown = results(client.get("/api/v1/measures/", {"material": "gallium", "page_size": 500}))
    assert shown and all(
        {"material": "gallium", "name": "Gallium (Ga)"}.items() <= entry.items()
        for measure in shown
        for entry in measure["materials"]
        if entry["material"] == "gallium"
    )


def test_a_sector_renamed_or_an_authority_reslugged_rewrites_them(client, demo_data):
    sector = Sector.objects.filter(measures__isnull=False).first()
    sector.name = "Aaa first of all"
    sector.save()
    authority = Authority.objects.get(slug="mofcom")
    authority.slug = "mofcom-prc"
    authority.save()
    assert not_current_keys() == []
    measure = client.get("/api/v1/measures/cn-mofcom-2025-62/").json()
    assert "mofcom-prc" in measure["authorities"]


def test_a_new_key_and_a_forced_delete_rewrite_the_measures_relating_to_it(
    admin_client, client, demo_data
):
    referred = Measure.objects.filter(inbound_relations__isnull=False).distinct().first()
    referrers = list(
        referred.inbound_relations.values_list("from_measure__key", flat=True).distinct()
    )
    assert admin_change(admin_client, referred, key=f"{referred.key}-renamed").status_code == 302
    referred.refresh_from_db()
    assert not_current_keys() == []
    for key in referrers:
        related = client.get(f"/api/v1/measures/{key}/").json()["related"]
        assert referred.key in {entry["measure"] for entry in related}
    deleted = referred.key
    delete_measure(referred, force=True)
    assert not_current_keys() == []
    for key in referrers:
        related = client.get(f"/api/v1/measures/{key}/").json()["related"]
        assert deleted not in {entry["measure"] for entry in related}
    restore_version(Measure.history.filter(key=deleted).latest("history_date", "history_id"))
    assert not_current_keys() == []


def test_saving_in_the_admin_leaves_it_current(admin_client, client, demo_data):
    measure = Measure.objects.get(key="cn-mofcom-2025-62")
    response = admin_change(admin_client, measure, **{"material_links-0-scope": "ingots only"})
    assert response.status_code == 302
    assert not_current_keys() == []
    materials = client.get(f"/api/v1/measures/{measure.key}/").json()["materials"]
    assert "ingots only" in {entry["scope"] for entry in materials}


def random_status_inputs(rng: random.Random) -> dict:
    """Status inputs as ``representation.store.build`` writes them: dates and events at random,
    each known to the day, the month or the year, events scheduled or not."""

    def date(precision: str) -> str:
        day = datetime.date(2000, 1, 1) + datetime.timedelta(days=rng.randrange(40 * 365))
        return period_start(day, precision).isoformat()

    precisions = ["day", "month", "year"]
    dates = {}
    for name in ("announced_on", "effective_on", "ends_on"):
        precision = rng.choice(precisions)
        dates[name] = [date(precision) if rng.random() < 0.8 else None, precision]
    events = []
    for _ in range(rng.randrange(8)):
        precision = rng.choice(precisions)
        kind = rng.choice(["suspended", "reinstated", "suspended", "effective", "ended", "amended"])
        events.append([date(precision), precision, kind, rng.random() < 0.3])
    events.sort()
    return {"dates": dates, "events": events}


def test_status_turns_agree_with_the_rule_on_every_day_around_every_turn():
    rng = random.Random(7)
    for _ in range(300):
        computed = random_status_inputs(rng)
        inputs = {**computed, "turns": status_turns(computed)}
        days = {datetime.date(1999, 12, 31), datetime.date(2045, 1, 1)}
        days |= {
            datetime.date.fromisoformat(text) + datetime.timedelta(days=shift)
            for text, *_ in inputs["turns"][1:]
            for shift in (-1, 0, 1)
        }
        days |= {
            datetime.date.fromisoformat(value) + datetime.timedelta(days=shift)
            for value, _ in [*computed["dates"].values(), *(e[:2] for e in computed["events"])]
            if value is not None
            for shift in (-1, 0, 1, 27, 28, 29, 30, 31, 32, 364, 365, 366)  # and periods' ends
        }
        for day in sorted(days):
            assert status_on_day(inputs, day) == status_on_day(computed, day), (inputs, day)
