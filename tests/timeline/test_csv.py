"""Measures as CSV, one row each: what export_timeline --format csv writes and a spreadsheet
saves, load_timeline reads."""

import json

import pytest
from django.core.management import call_command

from timeline.importers import LoadError, load, parse
from timeline.models import Authority, Jurisdiction, Material, Measure, Sector

HEADER = (
    "key,title,reference,jurisdiction,authorities,measure_type,announced_on,effective_on,"
    "ends_on,target_jurisdictions,materials,sectors,source_url,summary"
)


def csv_document(text: str, *, bom: bool = False) -> dict:
    return parse((("\ufeff" if bom else "") + text).encode("utf-8"), "csv", "test.csv")


def wipe() -> None:
    Measure.objects.all().delete()
    for model in (Material, Authority, Sector, Jurisdiction):
        model.objects.all().delete()


def test_export_load_into_an_empty_database_and_export_again_gives_the_same_file(
    demo_data, tmp_path
):
    reference, first, second = (tmp_path / n for n in ("ref.json", "first.csv", "second.csv"))
    call_command("export_timeline", str(reference))
    document = json.loads(reference.read_text())
    del document["measures"]  # the rows are the measures; the reference data comes alongside
    reference.write_text(json.dumps(document))
    call_command("export_timeline", str(first), "--format", "csv")

    wipe()
    call_command("load_timeline", str(reference), str(first))
    call_command("export_timeline", str(second), "--format", "csv")

    assert Measure.objects.count() == 19
    assert second.read_bytes() == first.read_bytes()


def test_loading_the_export_back_changes_nothing(demo_data, tmp_path, capsys):
    path = tmp_path / "measures.csv"
    call_command("export_timeline", str(path), "--format", "csv")
    before = dict(Measure.objects.values_list("key", "updated_at"))
    capsys.readouterr()
    call_command("load_timeline", str(path))
    assert capsys.readouterr().out.splitlines() == ["measures: 0 created, 0 updated, 19 unchanged"]
    assert dict(Measure.objects.values_list("key", "updated_at")) == before


def test_export_starts_with_a_byte_order_mark_and_ends_rows_as_excel_does(demo_data, tmp_path):
    path = tmp_path / "measures.csv"
    call_command("export_timeline", str(path), "--format", "csv")
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf" + HEADER.encode() + b"\r\n")
    assert b"\r\ncn-mofcom-gac-2023-23,Export controls on gallium and germanium items," in data


def test_spreadsheet_file_with_a_byte_order_mark_and_excel_quoting_loads(demo_data):
    text = (
        HEADER + "\r\n"
        'cn-test-1,"Controls on gallium, germanium","Announcement No. 99 of ""2030""",CN,'
        "MOFCOM; GAC,export_licence_requirement,2030-01-02,2030-02-01,,US ; EU,"
        "Gallium;germanium, electric vehicles;semiconductors ,https://example.org/notice,"
        '"Two lines:\r\nfirst, then ""second"""\r\n'
        ",,,,,,,,,,,,,\r\n"  # the empty row a spreadsheet leaves at the end
    )
    report = load([csv_document(text, bom=True)])
    assert report.counts("measures") == {"created": 1}
    measure = Measure.objects.get(key="cn-test-1")
    assert measure.title == "Controls on gallium, germanium"
    assert measure.reference == 'Announcement No. 99 of "2030"'
    assert measure.summary == 'Two lines:\r\nfirst, then "second"'
    assert sorted(measure.authorities.values_list("slug", flat=True)) == ["gac", "mofcom"]
    assert sorted(measure.target_jurisdictions.values_list("code", flat=True)) == ["EU", "US"]
    assert sorted(measure.materials.values_list("slug", flat=True)) == ["gallium", "germanium"]
    assert sorted(measure.sectors.values_list("slug", flat=True)) == [
        "electric-vehicles",
        "semiconductors",
    ]
    assert list(measure.sources.values_list("url", flat=True)) == ["https://example.org/notice"]
    assert measure.ends_on is None


def test_semicolon_separated_file_from_a_european_spreadsheet_loads(demo_data):
    text = 'key;title;jurisdiction;measure_type;materials\ncn-test-2;A title;CN;other;"gallium;germanium"\n'
    load([csv_document(text)])
    measure = Measure.objects.get(key="cn-test-2")
    assert sorted(measure.materials.values_list("slug", flat=True)) == ["gallium", "germanium"]


def test_row_keeps_the_scopes_and_sources_it_cannot_hold(demo_data):
    key = "cn-mofcom-gac-2023-23"
    sources = list(Measure.objects.get(key=key).sources.values_list("url", flat=True))
    text = f"key,materials,source_url\n{key},gallium; germanium; antimony,{sources[1]}\n"
    report = load([csv_document(text)])
    measure = Measure.objects.get(key=key)
    scopes = dict(measure.material_links.values_list("material__slug", "scope"))
    assert scopes["antimony"] == ""
    assert scopes["gallium"].startswith("metal, nitride")
    assert list(measure.sources.values_list("url", flat=True)) == sources
    [change] = report.records["measures"][key].changes
    assert change.field == "materials"


def test_a_new_source_url_becomes_the_main_source_once(demo_data):
    key = "cn-mofcom-gac-2023-23"
    before = list(Measure.objects.get(key=key).sources.values_list("url", flat=True))
    document = csv_document(f"key,source_url\n{key},https://example.org/official-text\n")
    load([document])
    after = list(Measure.objects.get(key=key).sources.values_list("url", flat=True))
    assert after == ["https://example.org/official-text", *before]
    assert not load([document]).changed


def test_columns_left_out_keep_what_the_measure_has(demo_data):
    key = "cn-mofcom-gac-2023-23"
    before = Measure.objects.get(key=key)
    load([csv_document(f"key,title\n{key},Gallium and germanium\n")])
    after = Measure.objects.get(key=key)
    assert after.title == "Gallium and germanium"
    assert (after.summary, after.effective_on) == (before.summary, before.effective_on)


def test_unknown_column_is_a_warning_naming_the_rows_that_fill_it(demo_data):
    text = "key,title,jurisdiction,measure_type,colour\ncn-a,A,CN,other,blue\ncn-b,B,CN,other,\n"
    report = load([csv_document(text)])
    [warning] = report.warnings
    assert (warning.field, warning.records) == ("colour", ["measures[cn-a]"])


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "key,title,jurisdiction,measure_type,effective_on\ncn-a,A,CN,other,01/08/2023\n",
            "measures[cn-a]: effective_on: '01/08/2023' is not a valid date",
        ),
        (
            "title,jurisdiction\nA,CN\n",
            "test.csv: the first row must name the columns, key among them",
        ),
        ("key,title\ncn-a,A\n,B\n", "measures[row 3]: key: every row needs a key"),
        ("key,key\ncn-a,cn-b\n", "test.csv: columns named twice: key"),
        ("key,title\ncn-a,A,surplus\n", "measures[row 2]: record: more cells than the header"),
    ],
)
def test_bad_file_is_refused_naming_row_or_key_and_field(demo_data, text, problem):
    with pytest.raises(LoadError) as raised:
        load([csv_document(text)])
    assert str(raised.value).startswith(problem)
    assert not Measure.objects.filter(key="cn-a").exists()


def test_file_that_is_not_utf8_says_how_to_save_it(demo_data):
    with pytest.raises(LoadError, match=r'not UTF-8 text .*save as "CSV UTF-8"'):
        parse("key,title\ncn-a,Türkiye\n".encode("latin-1"), "csv", "test.csv")
