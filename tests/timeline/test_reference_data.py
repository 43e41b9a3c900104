import pycountry
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from timeline.importers import load
from timeline.models import Authority, Jurisdiction, JurisdictionKind, Measure
from timeline.reference_data.jurisdictions import BLOCS_AND_ORGANISATIONS


def sync(capsys, *args) -> str:
    capsys.readouterr()
    call_command("sync_reference_data", *args)
    return capsys.readouterr().out


def test_the_test_database_was_built_by_the_migrations_that_load_reference_data(db):
    applied = MigrationRecorder(connection).applied_migrations()
    assert ("timeline", "0009_builtin_jurisdictions") in applied


def test_every_iso_3166_country_is_known_in_a_migrated_database(empty_timeline):
    countries = Jurisdiction.objects.filter(kind=JurisdictionKind.COUNTRY)
    assert set(countries.values_list("code", flat=True)) == {
        country.alpha_2 for country in pycountry.countries
    }


@pytest.mark.parametrize(
    ("code", "name", "kind"),
    [
        ("JP", "Japan", "country"),
        ("KR", "Korea, Republic of", "country"),
        ("CN", "China", "country"),
        ("EU", "European Union", "bloc"),
        ("EAEU", "Eurasian Economic Union", "bloc"),
        ("ASEAN", "Association of Southeast Asian Nations", "bloc"),
        ("GCC", "Cooperation Council for the Arab States of the Gulf", "bloc"),
        ("MERCOSUR", "Southern Common Market", "bloc"),
        ("UN", "United Nations", "organisation"),
        ("WTO", "World Trade Organization", "organisation"),
    ],
)
def test_built_in_jurisdictions_have_their_name_and_kind(empty_timeline, code, name, kind):
    jurisdiction = Jurisdiction.objects.get(code=code)
    assert (jurisdiction.name, jurisdiction.kind) == (name, kind)


def test_every_bloc_and_organisation_is_built_in_with_a_full_name(empty_timeline):
    for bloc in BLOCS_AND_ORGANISATIONS:
        stored = Jurisdiction.objects.get(code=bloc.code)
        assert stored.kind != JurisdictionKind.COUNTRY
        assert len(stored.name) > len(stored.code)


@pytest.mark.parametrize("code", ["jp", "Jp", "JP"])
def test_codes_match_whatever_their_case(empty_timeline, code):
    assert Jurisdiction.objects.get(code=code).code == "JP"
    assert Jurisdiction.objects.filter(code__in=[code]).count() == 1


def test_a_new_code_is_stored_upper_case(empty_timeline):
    created = Jurisdiction.objects.create(code="xk", name="Kosovo")
    assert created.code == "XK"
    assert Jurisdiction.objects.filter(code="XK").exists()


@pytest.mark.parametrize(("code", "kind"), [("EU", "country"), ("JP", "bloc"), ("UN", "bloc")])
def test_a_built_in_code_keeps_its_built_in_kind(empty_timeline, code, kind):
    jurisdiction = Jurisdiction.objects.get(code=code)
    jurisdiction.kind = kind
    with pytest.raises(ValidationError) as raised:
        jurisdiction.full_clean()
    assert "kind" in raised.value.message_dict


def test_sync_on_a_migrated_database_changes_nothing(empty_timeline, capsys):
    assert "jurisdictions: 0 created, 0 updated, 0 deleted, 258 unchanged" in sync(capsys)


def test_sync_restores_missing_and_edited_jurisdictions_then_is_idempotent(empty_timeline, capsys):
    Jurisdiction.objects.filter(code="JP").delete()
    Jurisdiction.objects.filter(code="TR").update(name="Turkey")
    Jurisdiction.objects.filter(code="EU").update(kind="country")
    out = sync(capsys)
    assert "jurisdictions: 1 created, 2 updated, 0 deleted" in out
    assert "created JP (Japan, country)" in out
    assert "updated TR: name 'Turkey' -> 'Türkiye'" in out
    assert "updated EU: kind 'country' -> 'bloc'" in out
    assert Jurisdiction.objects.get(code="EU").kind == "bloc"
    assert set(
        Jurisdiction.history.filter(history_change_reason="sync_reference_data").values_list(
            "code", "history_type"
        )
    ) == {("JP", "+"), ("TR", "~"), ("EU", "~")}
    assert "0 created, 0 updated, 0 deleted, 258 unchanged" in sync(capsys)


def test_sync_dry_run_reports_and_writes_nothing(empty_timeline, capsys):
    Jurisdiction.objects.filter(code="JP").delete()
    out = sync(capsys, "--dry-run")
    assert "created JP (Japan, country)" in out
    assert not Jurisdiction.objects.filter(code="JP").exists()


def test_sync_keeps_codes_it_does_not_know_and_prunes_only_unused_ones(empty_timeline, capsys):
    used = Jurisdiction.objects.create(code="XK", name="Kosovo")
    Authority.objects.create(slug="mti", name="Ministry", abbreviation="MTI", jurisdiction=used)
    targeted = Jurisdiction.objects.create(code="QT", name="Targeted only")
    Jurisdiction.objects.create(code="QU", name="Unused")
    measure = Measure.objects.create(
        key="m", title="M", jurisdiction=Jurisdiction.objects.get(code="JP"), measure_type="other"
    )
    measure.target_jurisdictions.set([targeted])

    out = sync(capsys)
    assert "not in the reference data, kept: QT (in use), QU, XK (in use)" in out
    assert Jurisdiction.objects.filter(code__in=["QT", "QU", "XK"]).count() == 3

    out = sync(capsys, "--prune")
    assert "deleted QU" in out
    assert "kept: QT (in use), XK (in use)" in out
    assert set(
        Jurisdiction.objects.filter(code__in=["QT", "QU", "XK"]).values_list("code", flat=True)
    ) == {"QT", "XK"}


MEASURE_NAMING_JP = {
    "key": "jp-meti-2026-1",
    "title": "Export licence requirement on test items",
    "jurisdiction": "jp",
    "measure_type": "export_licence_requirement",
    "target_jurisdictions": ["cn", "KR"],
}


def test_a_measure_file_may_name_any_built_in_jurisdiction_undeclared(empty_timeline):
    report = load([{"measures": [MEASURE_NAMING_JP]}])
    assert report.counts("measures")["created"] == 1
    measure = Measure.objects.get(key="jp-meti-2026-1")
    assert measure.jurisdiction.code == "JP"
    assert sorted(measure.target_jurisdictions.values_list("code", flat=True)) == ["CN", "KR"]


@pytest.mark.parametrize(
    ("record", "outcome", "kind"),
    [
        ({"code": "CN", "name": "China"}, "unchanged", "country"),
        ({"code": "eu", "name": "European Union"}, "unchanged", "bloc"),
        ({"code": "XK", "name": "Kosovo"}, "created", "country"),
        ({"code": "cptpp", "name": "CPTPP parties", "kind": "bloc"}, "created", "bloc"),
    ],
)
def test_declaring_a_jurisdiction_in_a_file_keeps_or_gives_its_kind(
    empty_timeline, record, outcome, kind
):
    report = load([{"jurisdictions": [record]}])
    assert dict(report.counts("jurisdictions")) == {outcome: 1}
    assert Jurisdiction.objects.get(code=record["code"]).kind == kind
