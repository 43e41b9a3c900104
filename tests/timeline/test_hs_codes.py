import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from timeline.importers import LoadError, load
from timeline.models import HSCode, HSLevel, Material
from timeline.reference_data.hs import HS_FILE, read_nomenclature


def test_the_hs_2022_nomenclature_is_in_a_migrated_database(db):
    assert {level: HSCode.objects.filter(level=level).count() for level in HSLevel.values} == {
        "chapter": 96,  # 01 to 97 less 77, which the WCO keeps in reserve
        "heading": 1228,
        "subheading": 5612,
    }
    assert not HSCode.objects.filter(code__startswith="99").exists()  # UN Comtrade's, not WCO


def test_a_subheading_sits_in_its_heading_in_its_chapter(db):
    subheading = HSCode.objects.select_related("parent__parent").get(code="280530")
    assert [(entry.code, entry.level) for entry in subheading.ancestors()] == [
        ("28", "chapter"),
        ("2805", "heading"),
    ]
    assert subheading.description.startswith("Earth-metals, rare; scandium and yttrium")
    assert HSCode.objects.get(code="28").parent is None


def material(hs_codes) -> Material:
    return Material(slug="test", name="Test", category="product", hs_codes=hs_codes)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("28", "28"),  # chapter
        ("01", "01"),  # a chapter's leading zero is kept
        ("2805", "2805"),  # heading
        ("280530", "280530"),  # subheading
        ("2805.30", "280530"),
        ("2805 30", "280530"),
        ("28053019", "28053019"),  # national line, 8 digits (EU CN)
        ("280530191", "280530191"),  # 9 digits
        ("2805301910", "2805301910"),  # 10 digits (China, US HTS)
        ("2805.30.19.10", "2805301910"),
    ],
)
def test_valid_hs_codes_are_stored_as_digits(db, given, stored):
    candidate = material([given])
    candidate.full_clean()
    assert candidate.hs_codes == [stored]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("99", "99 is not a chapter, heading or subheading of HS 2022."),
        ("77", "77 is not a chapter, heading or subheading of HS 2022."),
        ("2899", "2899 is not a chapter, heading or subheading of HS 2022."),
        ("280599", "280599 is not a chapter, heading or subheading of HS 2022."),
        (
            "2805991910",
            "2805991910 is a national tariff line under 280599, which is not a subheading of HS 2022.",
        ),
        ("12ab", "'12ab' is not an HS code: give 2, 4 or 6 digits"),
        ("280", "'280' is not an HS code"),
        ("28053", "'28053' is not an HS code"),
        ("2805301", "'2805301' is not an HS code"),
        ("28053019101", "'28053019101' is not an HS code"),
        ("", "'' is not an HS code"),
        ("\uff12\uff18", "'\uff12\uff18' is not an HS code"),  # full-width digits
        (2805, "2805 is not an HS code: give it as text"),
        (None, "None is not an HS code: give it as text"),
    ],
)
def test_invalid_hs_codes_are_refused_saying_which_and_why(db, given, message):
    with pytest.raises(ValidationError) as raised:
        material(["2805", given]).full_clean()
    [problem] = raised.value.message_dict["hs_codes"]
    assert problem.startswith(message)


def test_a_code_given_twice_is_refused(db):
    with pytest.raises(ValidationError, match="280530 is listed twice"):
        material(["280530", "2805.30"]).full_clean()


def test_hs_codes_that_are_not_a_list_are_refused(db):
    with pytest.raises(ValidationError, match="Give a list of HS codes"):
        material("280530").full_clean()


def test_resolve_finds_the_subheading_of_a_national_line(db):
    assert HSCode.objects.resolve("2805301910").code == "280530"
    assert HSCode.objects.resolve("2805").code == "2805"
    assert HSCode.objects.resolve("2805991910") is None
    assert HSCode.objects.resolve("28053") is None


def test_every_demo_material_code_is_valid(demo_data):
    assert Material.objects.exclude(hs_codes=[]).exists()
    for listed in Material.objects.values_list("hs_codes", flat=True):
        assert HSCode.objects.problems(listed) == []


def sync(capsys, *args) -> str:
    capsys.readouterr()
    call_command("sync_reference_data", *args)
    return capsys.readouterr().out


def test_hs_sync_restores_the_nomenclature_then_changes_nothing(db, capsys):
    HSCode.objects.filter(code="2805").delete()  # and its subheadings with it
    HSCode.objects.filter(code="28").update(description="Edited")
    HSCode.objects.create(code="2899", level="heading", description="Not in HS 2022")
    out = sync(capsys)
    assert "HS codes: 6 created, 1 updated, 1 deleted, 6929 unchanged" in out
    assert "created 2805" in out and "updated 28" in out and "deleted 2899" in out
    assert HSCode.objects.get(code="280530").parent_id == "2805"
    assert "HS codes: 0 created, 0 updated, 0 deleted, 6936 unchanged" in sync(capsys)


def test_hs_sync_names_materials_whose_codes_a_new_edition_drops(
    demo_data, capsys, tmp_path, monkeypatch
):
    lines = HS_FILE.read_text(encoding="utf-8-sig").splitlines()
    edition = tmp_path / "harmonized-system.csv"
    edition.write_text("\n".join(line for line in lines if ",2805" not in line), encoding="utf-8")
    monkeypatch.setattr("timeline.reference_data.hs.HS_FILE", edition)
    out = sync(capsys)
    assert "HS codes: 0 created, 0 updated, 6 deleted" in out
    assert (
        "note: material samarium: 2805301910 is a national tariff line under 280530, which is "
        "not a subheading of HS 2022." in out
    )
    assert Material.objects.get(slug="samarium").hs_codes[0] == "2805301910"


@pytest.mark.parametrize(
    ("row", "complaint"),
    [
        ("I,281,Bad,28,4", "'281' is not a code of its level"),
        ("I,2899,Orphan,27,4", "2899 has parent '27'"),
        ("I,289901,Missing heading,2899,6", "289901 has parent '2899'"),
    ],
)
def test_a_broken_nomenclature_file_is_refused_naming_the_line(tmp_path, row, complaint):
    path = tmp_path / "hs.csv"
    path.write_text(
        "section,hscode,description,parent,level\n"
        "TOTAL,TOTAL,Total,TOTAL,5\nI,27,Fuels,TOTAL,2\nI,28,Chemicals,TOTAL,2\n" + row + "\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=f"hs.csv line 5: {complaint}"):
        read_nomenclature(path)


def test_the_loader_stores_hs_codes_as_digits_and_a_second_load_changes_nothing(empty_timeline):
    document = {"materials": [{"name": "Test", "category": "product", "hs_codes": ["2805.30"]}]}
    assert dict(load([document]).counts("materials")) == {"created": 1}
    assert Material.objects.get(slug="test").hs_codes == ["280530"]
    assert dict(load([document]).counts("materials")) == {"unchanged": 1}


def test_the_loader_refuses_a_code_outside_the_nomenclature_naming_record_and_field(
    empty_timeline,
):
    document = {"materials": [{"name": "Test", "category": "product", "hs_codes": ["2899"]}]}
    with pytest.raises(LoadError, match=r"materials\[test\]: hs_codes: 2899 is not a chapter"):
        load([document])
