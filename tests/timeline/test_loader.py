import copy
import datetime
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from timeline.importers import DEMO_FILES, LoadError, load, read_documents
from timeline.models import Material, Measure, MeasureEvent
from timeline.status import MeasureStatus


@pytest.fixture
def documents():
    return read_documents(DEMO_FILES)


def snapshot():
    return list(
        Measure.objects.order_by("key").values_list("key", "updated_at")
    ), MeasureEvent.objects.count()


def test_demo_data_loads_every_record(empty_timeline, documents):
    report = load(documents)
    assert report.warnings == []
    assert report.counts("measures")["created"] == len(documents[2]["measures"])
    assert report.counts("materials")["created"] == len(documents[1]["materials"])
    assert Measure.objects.count() == len(documents[2]["measures"])


def test_second_load_changes_nothing(demo_data, documents):
    before = snapshot()
    report = load(documents)
    assert not report.changed
    assert report.counts("measures")["unchanged"] == 19
    assert snapshot() == before


def test_loader_maps_dataset_event_words(demo_data):
    events = MeasureEvent.objects.filter(measure__key="cn-mofcom-gac-2025-55", derived=False)
    assert sorted(events.values_list("type", flat=True)) == [
        "announced",
        "effective",
        "reinstated",
        "suspended",
    ]


def test_loaded_groups_nest(demo_data):
    dysprosium = Material.objects.get(slug="dysprosium")
    assert [g.slug for g in dysprosium.groups.all()] == ["medium-and-heavy-rare-earth-elements"]
    assert Material.objects.get(slug="medium-and-heavy-rare-earth-elements").groups.get().slug == (
        "rare-earth-elements"
    )


def test_loaded_suspension_gives_suspended_status(demo_data):
    measure = Measure.objects.prefetch_related("events").get(key="cn-mofcom-2025-62")
    assert measure.status_on(datetime.date(2026, 1, 1)) == MeasureStatus.SUSPENDED
    assert measure.status_on(datetime.date(2026, 11, 10)) == MeasureStatus.IN_FORCE


def test_changed_record_is_updated_and_others_untouched(demo_data, documents):
    changed = copy.deepcopy(documents)
    changed[2]["measures"][0]["title"] = "A clearer title"
    before = dict(Measure.objects.values_list("key", "updated_at"))
    report = load(changed)
    assert report.counts("measures") == {"updated": 1, "unchanged": 18}
    after = dict(Measure.objects.values_list("key", "updated_at"))
    key = changed[2]["measures"][0]["key"]
    assert after.pop(key) > before.pop(key)
    assert after == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("effective_on", "2025-02-30", "is not a valid date"),
        ("measure_type", "embargo", "is not a valid choice"),
        ("jurisdiction", "XX", "unknown jurisdiction 'XX'"),
        ("materials", [{"name": "Unobtainium", "symbol": None, "scope": ""}], "unknown material"),
        ("events", [{"date": "2025-01-01", "type": "embargoed"}], "is not a valid choice"),
        ("title", "", "cannot be blank"),
        ("summary", 42, "expected text"),
    ],
)
def test_one_bad_record_writes_nothing_and_names_key_and_field(
    empty_timeline, documents, field, value, message
):
    bad = copy.deepcopy(documents)
    bad[2]["measures"][5][field] = value
    key = bad[2]["measures"][5]["key"]
    with pytest.raises(LoadError) as raised:
        load(bad)
    assert f"measures[{key}]" in str(raised.value)
    assert field in str(raised.value)
    assert message in str(raised.value)
    assert Measure.objects.count() == 0
    assert Material.objects.count() == 0


def test_ends_before_effective_is_refused_with_a_readable_message(empty_timeline, documents):
    bad = copy.deepcopy(documents)
    bad[2]["measures"][0]["ends_on"] = "2020-01-01"
    with pytest.raises(
        LoadError, match=r"measures\[cn-mofcom-gac-2023-23\]: ends_on: .*must come after"
    ):
        load(bad)


def test_unknown_related_key_is_refused(empty_timeline, documents):
    bad = copy.deepcopy(documents)
    bad[2]["measures"][0]["related"] = [{"key": "no-such-measure", "relation": "amends"}]
    with pytest.raises(LoadError, match=r"related\.0\.key: unknown measure 'no-such-measure'"):
        load(bad)
    assert Measure.objects.count() == 0


def test_dry_run_reports_but_writes_nothing(empty_timeline, documents):
    report = load(documents, dry_run=True)
    assert report.counts("measures")["created"] == 19
    assert Measure.objects.count() == 0


def test_command_loads_a_given_file_and_reports(empty_timeline, tmp_path, capsys):
    call_command("load_timeline")
    path = tmp_path / "one.json"
    record = json.loads(DEMO_FILES[2].read_text())["measures"][0]
    record["title"] = "Edited"
    path.write_text(json.dumps({"measures": [record]}))
    call_command("load_timeline", str(path))
    assert "measures: 0 created, 1 updated, 0 unchanged" in capsys.readouterr().out
    assert Measure.objects.get(key=record["key"]).title == "Edited"


def test_command_fails_clearly_on_broken_json(empty_timeline, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(CommandError, match="Nothing was loaded"):
        call_command("load_timeline", str(path))


def test_issue_token_prints_a_working_token_last(db, capsys):
    from django.contrib.auth.models import User
    from knox.auth import TokenAuthentication

    user = User.objects.create_user("service")
    call_command("issue_token", "service")
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert TokenAuthentication().authenticate_credentials(token.encode())[0] == user


def test_issue_token_refuses_unknown_user(db):
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("issue_token", "ghost")


def test_a_load_if_empty_keeps_edits_made_since_the_first_load(demo_data, capsys):
    from timeline.models import Measure

    Measure.objects.filter(key="cn-mofcom-2025-62").update(
        notes="Edited after the first load.", updated_at=timezone.now()
    )
    call_command("load_timeline", "--if-empty")

    assert Measure.objects.get(key="cn-mofcom-2025-62").notes == "Edited after the first load."
    assert "nothing loaded" in capsys.readouterr().out


def test_a_load_if_empty_fills_an_empty_database(empty_timeline):
    from timeline.models import Measure

    call_command("load_timeline", "--if-empty")

    assert Measure.objects.filter(key="cn-mofcom-2025-62").exists()
