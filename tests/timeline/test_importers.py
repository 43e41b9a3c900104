"""Loading a file another team wrote: extra fields, authorities and materials the database
does not know yet, and records it disagrees with the database about."""

import copy
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from timeline.importers import DEMO_FILES, LoadError, Outcome, load, read_documents
from timeline.models import Authority, Material, MaterialCategory, Measure

SECOND_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "second_analyst.json"
SECOND_KEYS = {
    "cn-state-council-2024-792",
    "cn-mofcom-2026-1",
    "us-ustr-301-review-2024",
    "us-ustr-301-2024-tungsten-wafers-polysilicon",
    "us-proclamation-11001",
}


@pytest.fixture
def second_file() -> dict:
    return json.loads(SECOND_FILE.read_text())


def snapshot() -> dict:
    return {
        "measures": dict(Measure.objects.values_list("key", "updated_at")),
        "materials": list(Material.objects.order_by("slug").values()),
        "authorities": list(Authority.objects.order_by("slug").values()),
    }


def warning(report, code: str, field: str):
    return next(w for w in report.warnings if w.code == code and w.field == field)


def test_second_analysts_file_loads_with_a_warning_per_unknown_field(demo_data):
    report = load(read_documents([SECOND_FILE]))
    assert set(Measure.objects.filter(key__in=SECOND_KEYS).values_list("key", flat=True)) == (
        SECOND_KEYS
    )
    extra = warning(report, "unknown_field", "atomic_number_source")
    assert extra.records == ["materials[tungsten]", "materials[indium]"]
    assert [w.field for w in report.warnings].count("atomic_number_source") == 1


def test_undeclared_authorities_are_created_under_the_measures_jurisdiction_and_reported(
    demo_data,
):
    report = load(read_documents([SECOND_FILE]))
    created = {
        slug: (a.jurisdiction.code, a.abbreviation, a.name)
        for slug, a in Authority.objects.select_related("jurisdiction")
        .in_bulk(["state-council", "ustr", "president"], field_name="slug")
        .items()
    }
    assert created == {
        "state-council": ("CN", "State Council", "State Council"),
        "ustr": ("US", "USTR", "USTR"),
        "president": ("US", "President", "President"),
    }
    assert report.counts("authorities")["created"] == 3
    ustr = next(w for w in report.warnings if "'USTR'" in w.message)
    assert ustr.code == "undeclared_authority"
    assert ustr.records == [
        "measures[us-ustr-301-review-2024]",
        "measures[us-ustr-301-2024-tungsten-wafers-polysilicon]",
    ]
    measure = Measure.objects.get(key="cn-mofcom-2026-1")
    assert [a.slug for a in measure.authorities.all()] == ["mofcom"]  # known: not created again


def test_material_the_file_disagrees_about_is_updated_with_the_diff_reported(demo_data):
    report = load(read_documents([SECOND_FILE]))
    assert Material.objects.get(slug="graphite").symbol == "C"
    graphite = report.records["materials"]["graphite"]
    assert graphite.outcome is Outcome.UPDATED
    assert [(c.field, c.old, c.new) for c in graphite.changes] == [("symbol", None, "C")]
    assert "defined by measures[us-ustr-301-review-2024].materials.2" in graphite.note


def test_material_defined_inline_with_its_category_is_created(demo_data):
    report = load(read_documents([SECOND_FILE]))
    magnets = Material.objects.get(slug="permanent-magnets")
    assert (magnets.name, magnets.category) == ("Permanent magnets", MaterialCategory.PRODUCT)
    assert report.records["materials"]["permanent-magnets"].outcome is Outcome.CREATED


def test_inline_material_may_name_its_groups(demo_data):
    document = {
        "measures": [
            {
                "key": "cn-magnet-test",
                "title": "Magnet test",
                "jurisdiction": "CN",
                "measure_type": "other",
                "materials": [
                    {
                        "name": "Rare-earth permanent magnets",
                        "category": "product",
                        "groups": ["Rare earth elements"],
                        "scope": "NdFeB",
                    }
                ],
            }
        ]
    }
    load([document])
    magnets = Material.objects.get(slug="rare-earth-permanent-magnets")
    assert [g.slug for g in magnets.groups.all()] == ["rare-earth-elements"]
    measure = Measure.objects.get(key="cn-magnet-test")
    assert list(measure.material_links.values_list("material__slug", "scope")) == [
        ("rare-earth-permanent-magnets", "NdFeB")
    ]


def test_unknown_material_without_a_category_says_how_to_declare_it(demo_data, second_file):
    second_file["measures"][2]["materials"][3].pop("category")
    with pytest.raises(LoadError) as raised:
        load([second_file])
    assert str(raised.value) == (
        "measures[us-ustr-301-review-2024]: materials.3: unknown material 'Permanent magnets': "
        "declare it in the materials section, or give its category here to create it"
    )


def test_symbol_held_by_another_material_is_refused_with_a_way_forward(demo_data):
    carbon = Material.objects.create(
        slug="carbon", name="Carbon", category=MaterialCategory.CRITICAL_MINERAL, symbol="C"
    )
    before = snapshot()
    with pytest.raises(LoadError) as raised:
        load(read_documents([SECOND_FILE]))
    message = str(raised.value)
    assert message.startswith(
        "measures[us-ustr-301-review-2024]: materials.2.symbol: 'C' is already the symbol of "
        "Carbon (carbon)"
    )
    assert "give Carbon (carbon) another (or no) symbol in the same file's materials" in message
    assert "PATCH /api/v1/materials/carbon/" in message
    assert snapshot() == before
    carbon.refresh_from_db()
    assert carbon.symbol == "C"


def test_a_file_may_move_a_symbol_from_one_material_to_another(demo_data, second_file):
    Material.objects.create(
        slug="carbon", name="Carbon", category=MaterialCategory.CRITICAL_MINERAL, symbol="C"
    )
    second_file["materials"].append({"name": "Carbon", "symbol": None})
    report = load([second_file])
    assert dict(
        Material.objects.filter(slug__in=["carbon", "graphite"]).values_list("slug", "symbol")
    ) == {
        "carbon": "",
        "graphite": "C",
    }
    assert [(c.field, c.old, c.new) for c in report.records["materials"]["carbon"].changes] == [
        ("symbol", "C", None)
    ]


def test_two_places_defining_a_record_differently_are_refused(demo_data, second_file):
    second_file["materials"].append({"name": "Graphite", "symbol": "Gr"})
    with pytest.raises(LoadError) as raised:
        load([second_file])
    assert (
        "measures[us-ustr-301-review-2024]: materials.2.symbol: 'C' here, but 'Gr' in "
        "materials[graphite].symbol"
    ) in str(raised.value)


def test_strict_makes_every_warning_an_error_and_writes_nothing(demo_data):
    before = snapshot()
    with pytest.raises(LoadError) as raised:
        load(read_documents([SECOND_FILE]), strict=True)
    lines = str(raised.value).splitlines()
    assert any(line.startswith("materials[tungsten]: atomic_number_source:") for line in lines)
    assert any(
        line.startswith(
            "measures[cn-state-council-2024-792]: authorities: authority 'State Council'"
        )
        for line in lines
    )
    assert snapshot() == before


def test_dry_run_writes_nothing_and_reports_what_the_real_run_does(demo_data):
    before = snapshot()
    dry = load(read_documents([SECOND_FILE]), dry_run=True)
    assert snapshot() == before
    real = load(read_documents([SECOND_FILE]))
    assert dry.lines() == real.lines()
    assert dry.counts("measures") == {"created": 5}


def test_second_load_of_the_same_file_changes_nothing(demo_data):
    load(read_documents([SECOND_FILE]))
    before = snapshot()
    report = load(read_documents([SECOND_FILE]))
    assert not report.changed
    assert report.counts("measures") == {"unchanged": 5}
    assert [w.code for w in report.warnings] == ["unknown_field"]
    assert snapshot() == before


def test_declared_authority_gets_its_full_name_and_a_slug_from_its_abbreviation(demo_data):
    load(
        [
            {
                "authorities": [
                    {
                        "abbreviation": "USTR",
                        "name": "Office of the United States Trade Representative",
                        "jurisdiction": "US",
                        "website": "https://ustr.gov/",
                    }
                ]
            }
        ]
    )
    ustr = Authority.objects.get(slug="ustr")
    assert (ustr.name, ustr.jurisdiction.code) == (
        "Office of the United States Trade Representative",
        "US",
    )


def test_abbreviation_taken_in_another_jurisdiction_gets_a_slug_with_the_code(demo_data):
    document = {
        "jurisdictions": [{"code": "JP", "name": "Japan"}],
        "authorities": [
            {"abbreviation": "EC", "name": "Election Commission", "jurisdiction": "JP"}
        ],
    }
    report = load([document])
    assert report.counts("authorities") == {"created": 1}
    assert Authority.objects.get(slug="jp-ec").name == "Election Commission"
    assert Authority.objects.get(slug="ec").jurisdiction.code == "EU"
    assert not load([document]).changed  # found again by jurisdiction and abbreviation


def test_a_field_the_record_leaves_out_is_kept(demo_data):
    record = json.loads(Path("timeline/demo_data/measures.json").read_text())["measures"][0]
    del record["events"], record["sources"]
    record["title"] = "Gallium and germanium controls"
    before = Measure.objects.get(key=record["key"])
    events, sources = before.events.filter(derived=False).count(), before.sources.count()
    load([{"measures": [record]}])
    after = Measure.objects.get(key=record["key"])
    assert after.title == "Gallium and germanium controls"
    assert (after.events.filter(derived=False).count(), after.sources.count()) == (events, sources)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gall\x00ium", "text cannot contain NUL characters"),
        ("\ud800", "text is not valid Unicode"),
    ],
)
def test_text_no_database_can_store_is_refused_naming_record_and_field(demo_data, text, message):
    document = {"measures": [{"key": "cn-x", "title": "x", "summary": text}]}
    with pytest.raises(LoadError, match=rf"measures\[cn-x\]: summary: {message}"):
        load([document])


def test_nesting_deeper_than_any_record_is_refused(demo_data):
    deep: list = []
    for _ in range(50):
        deep = [deep]
    with pytest.raises(LoadError, match=r"measures\[cn-x\]: summary(\.0)+: nested too deeply"):
        load([{"measures": [{"key": "cn-x", "title": "x", "summary": deep}]}])


def test_command_prints_the_field_diff_and_warnings(demo_data, capsys):
    call_command("load_timeline", str(SECOND_FILE), "--dry-run")
    out = capsys.readouterr().out
    assert "measures: 5 created, 0 updated, 19 unchanged" not in out  # only the file's records
    assert "measures: 5 created, 0 updated, 0 unchanged" in out
    assert "  ~ graphite (defined by measures[us-ustr-301-review-2024].materials.2)" in out
    assert '      symbol: null → "C"' in out
    assert "  + state-council (not declared; named by measures[cn-state-council-2024-792])" in out
    assert "unknown field 'atomic_number_source' in materials, ignored" in out
    assert out.rstrip().endswith("Dry run: nothing was written.")
    assert not Measure.objects.filter(key__in=SECOND_KEYS).exists()


def test_command_strict_fails_on_warnings(demo_data):
    with pytest.raises(CommandError, match="Nothing was loaded"):
        call_command("load_timeline", str(SECOND_FILE), "--strict")
    assert not Measure.objects.filter(key__in=SECOND_KEYS).exists()


def test_command_records_the_reason_in_history(demo_data):
    call_command("load_timeline", str(SECOND_FILE), "--reason", "second team's list")
    version = Measure.history.get(key="cn-mofcom-2026-1")
    assert (version.history_change_reason, version.history_user) == ("second team's list", None)
    assert Authority.history.get(slug="ustr").history_change_reason == "second team's list"


def test_second_file_loads_into_an_empty_timeline_with_the_materials_it_names(
    empty_timeline, second_file
):
    load(read_documents([DEMO_FILES[1]]))  # the materials it names, and nothing else
    report = load([second_file])
    assert report.counts("measures") == {"created": 5}
    assert report.counts("jurisdictions") == {"unchanged": 3}  # built in, named as ISO does
    assert report.counts("authorities") == {"created": 4}  # MOFCOM is not declared either
    relation = Measure.objects.get(
        key="us-ustr-301-2024-tungsten-wafers-polysilicon"
    ).relations.get()
    assert (relation.relation, relation.to_measure.key) == ("amends", "us-ustr-301-review-2024")


def test_a_material_that_cannot_be_created_is_reported_once(empty_timeline, second_file):
    with pytest.raises(LoadError) as raised:
        load([second_file])
    assert [p.attr for p in raised.value.problems] == [
        "measures[us-ustr-301-review-2024].materials.2.category",
        "measures[us-proclamation-11001].materials.0",
    ]


def test_unknown_fields_inside_nested_entries_are_warned_once(demo_data, second_file):
    for measure in second_file["measures"]:
        for event in measure["events"]:
            event["certainty"] = "high"
    report = load([copy.deepcopy(second_file)])
    certainty = warning(report, "unknown_field", "events[].certainty")
    assert certainty.records == [f"measures[{m['key']}]" for m in second_file["measures"]]


@pytest.mark.parametrize("reason", ["", "x" * 101])
def test_command_refuses_a_reason_the_history_cannot_keep(demo_data, reason):
    with pytest.raises(CommandError, match="--reason takes 1 to 100 characters"):
        call_command("load_timeline", str(SECOND_FILE), "--reason", reason)


def scheduled_measure(scheduled) -> dict:
    event = {"date": "2026-11-10", "type": "suspension_ends", "note": "Announced end."}
    if scheduled is not None:
        event["scheduled"] = scheduled
    return {
        "key": "cn-scheduled",
        "title": "A suspended control",
        "jurisdiction": "CN",
        "measure_type": "export_licence_requirement",
        "effective_on": "2025-10-09",
        "events": [{"date": "2025-11-07", "type": "suspended"}, event],
    }


@pytest.mark.parametrize(("given", "stored"), [(True, True), (False, False), (None, False)])
def test_scheduled_events_load_without_warnings_and_export_as_given(empty_timeline, given, stored):
    from timeline.dataset import measure_record, measures_with_parts

    report = load([{"measures": [scheduled_measure(given)]}])
    assert report.warnings == []
    flags = dict(Measure.objects.get(key="cn-scheduled").events.values_list("type", "scheduled"))
    assert flags["reinstated"] is stored
    exported = measure_record(measures_with_parts().get(key="cn-scheduled"))
    # The dataset's convention: the flag is written on scheduled events only.
    assert [e.get("scheduled") for e in exported["events"]] == [None, True if stored else None]
    again = load([{"measures": [exported]}])
    assert again.records["measures"]["cn-scheduled"].outcome == Outcome.UNCHANGED


def test_a_scheduled_flag_that_is_not_true_or_false_is_refused(empty_timeline):
    with pytest.raises(LoadError, match=r"measures\[cn-scheduled\]: events.1.scheduled"):
        load([{"measures": [scheduled_measure("yes")]}])
