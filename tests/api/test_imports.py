"""POST /api/v1/imports/: the loader over HTTP, with its permissions, dry run, size limit and
atomic failure."""

import json
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.conftest import error_attrs, token_client
from timeline.models import Authority, Material, Measure

URL = "/api/v1/imports/"
SECOND_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "second_analyst.json"
SECOND_KEYS = {
    "cn-state-council-2024-792",
    "cn-mofcom-2026-1",
    "us-ustr-301-review-2024",
    "us-ustr-301-2024-tungsten-wafers-polysilicon",
    "us-proclamation-11001",
}
CSV = (
    "\ufeffkey,title,jurisdiction,authorities,measure_type,materials\r\n"
    'cn-test-1,"Controls on gallium, germanium",CN,MOFCOM,export_licence_requirement,'
    "gallium;germanium\r\n"
)


def post_json(client, document, **params):
    query = "&".join(f"{name}={value}" for name, value in params.items())
    return client.post(
        f"{URL}?{query}", json.dumps(document), content_type="application/json; charset=utf-8"
    )


def written() -> dict:
    return {
        "measures": dict(Measure.objects.values_list("key", "updated_at")),
        "materials": list(Material.objects.order_by("slug").values()),
        "authorities": list(Authority.objects.order_by("slug").values_list("slug", flat=True)),
    }


@pytest.fixture
def second_file() -> dict:
    return json.loads(SECOND_FILE.read_text())


def user_with(*codenames: str) -> User:
    user = User.objects.create_user("importer")
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="timeline", codename__in=codenames)
    )
    return user


def test_import_needs_authentication(client, demo_data, second_file):
    response = post_json(client, second_file)
    assert response.status_code == 401
    assert not Measure.objects.filter(key__in=SECOND_KEYS).exists()


def test_import_needs_the_add_and_change_permissions_on_measures(
    reader_client, demo_data, second_file
):
    response = post_json(reader_client, second_file)
    assert response.status_code == 403
    assert "add and change permissions on measures" in response.json()["errors"][0]["detail"]


def test_import_needs_the_permissions_for_what_the_file_creates(demo_data, second_file):
    client = token_client(user_with("add_measure", "change_measure"))
    before = written()
    response = post_json(client, second_file)
    assert response.status_code == 403
    detail = response.json()["errors"][0]["detail"]
    assert "timeline.add_authority" in detail
    assert "timeline.change_material" in detail
    assert written() == before


def test_import_with_every_permission_it_needs_applies(demo_data, second_file):
    needed = ["add_measure", "change_measure", "add_authority", "add_jurisdiction"]
    needed += ["add_material", "change_material", "add_sector"]
    response = post_json(token_client(user_with(*needed)), second_file)
    assert response.status_code == 200, response.content


def test_dry_run_answers_with_the_diff_and_writes_nothing(editor_client, demo_data, second_file):
    before = written()
    response = post_json(editor_client, second_file, dry_run="true")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dry_run"] is True
    assert body["sections"]["measures"] == {"created": 5, "updated": 0, "unchanged": 0}
    graphite = next(c for c in body["changes"] if c["record"] == "graphite")
    assert graphite["outcome"] == "updated"
    assert graphite["fields"] == [{"field": "symbol", "old": None, "new": "C"}]
    assert written() == before


def test_import_applies_and_answers_with_the_summary(editor_client, demo_data, second_file):
    response = post_json(editor_client, second_file)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dry_run"] is False
    assert body["sections"]["authorities"] == {"created": 3, "updated": 0, "unchanged": 0}
    assert {c["record"] for c in body["changes"] if c["section"] == "measures"} == SECOND_KEYS
    [extra] = [w for w in body["warnings"] if w["code"] == "unknown_field"]
    assert extra == {
        "code": "unknown_field",
        "field": "atomic_number_source",
        "detail": "unknown field 'atomic_number_source' in materials, ignored",
        "records": ["materials[tungsten]", "materials[indium]"],
    }
    assert set(Measure.objects.filter(key__in=SECOND_KEYS).values_list("key", flat=True)) == (
        SECOND_KEYS
    )
    again = post_json(editor_client, second_file).json()
    assert again["changes"] == []


def test_import_is_recorded_in_history_with_the_user_and_reason(
    editor_client, demo_data, second_file
):
    post_json(editor_client, second_file, reason="second team's list")
    history = editor_client.get("/api/v1/measures/cn-mofcom-2026-1/history/")
    [version] = history.json()["results"]  # an authenticated reader sees who edited
    assert (version["action"], version["user"], version["reason"]) == (
        "created",
        "editor",
        "second team's list",
    )
    graphite = Material.history.filter(slug="graphite").first()
    assert (graphite.history_user.username, graphite.history_change_reason) == (
        "editor",
        "second team's list",
    )


def test_import_without_a_reason_is_recorded_as_an_import(
    client, editor_client, demo_data, second_file
):
    post_json(editor_client, second_file)
    [version] = client.get("/api/v1/measures/cn-mofcom-2026-1/history/").json()["results"]
    assert version["reason"] == "import"


def test_bad_record_is_400_naming_record_and_field_and_nothing_is_written(
    editor_client, demo_data, second_file
):
    second_file["measures"][2]["materials"][0] = {"name": "Unobtainium", "scope": ""}
    second_file["measures"][4]["effective_on"] = "2026-02-30"
    before = written()
    response = post_json(editor_client, second_file)
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert error_attrs(response) == {
        "measures[us-ustr-301-review-2024].materials.0",
        "measures[us-proclamation-11001].effective_on",
    }
    assert written() == before  # the authorities and materials the file made are gone too


@pytest.mark.parametrize(
    ("stamps", "attr"),
    [
        ({"updated_at": "2999-01-01T00:00:00Z"}, "updated_at"),
        ({"created_at": "2999-01-01T00:00:00Z"}, "created_at"),
        (
            {"created_at": "2025-02-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z"},
            "created_at",
        ),
    ],
)
def test_a_timestamp_from_the_future_or_out_of_order_is_refused(
    editor_client, demo_data, second_file, stamps, attr
):
    """A measure stamped in the future would be answered 304 and left out of updated_since
    after every later edit, until that day."""
    second_file["measures"][0] |= stamps
    key = second_file["measures"][0]["key"]
    before = written()
    response = post_json(editor_client, second_file)
    assert response.status_code == 400
    assert error_attrs(response) == {f"measures[{key}].{attr}"}
    assert written() == before


def test_strict_refuses_a_file_with_warnings(editor_client, demo_data, second_file):
    response = post_json(editor_client, second_file, strict="true")
    assert response.status_code == 400
    assert "materials[tungsten].atomic_number_source" in error_attrs(response)
    assert not Measure.objects.filter(key__in=SECOND_KEYS).exists()


def test_csv_body_is_read_as_csv(editor_client, demo_data):
    response = editor_client.post(URL, CSV.encode(), content_type="text/csv")
    assert response.status_code == 200, response.content
    measure = Measure.objects.get(key="cn-test-1")
    assert measure.title == "Controls on gallium, germanium"
    assert sorted(measure.materials.values_list("slug", flat=True)) == ["gallium", "germanium"]


@pytest.mark.parametrize(
    ("name", "content"),
    [("measures.csv", CSV.encode()), ("measures.json", SECOND_FILE.read_bytes())],
)
def test_file_upload_is_read_by_its_name(editor_client, demo_data, name, content):
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    response = editor_client.post(f"{URL}?dry_run=true", {"file": upload}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()["sections"]["measures"]["created"] >= 1


def test_upload_without_a_file_field_is_400(editor_client, demo_data):
    response = editor_client.post(URL, {"other": "x"}, format="multipart")
    assert response.status_code == 400
    assert error_attrs(response) == {"file"}


@pytest.mark.parametrize(
    ("body", "content_type", "attr"),
    [
        (b"{not json", "application/json", "file"),
        (b"[]", "application/json", "file"),
        (b"", "application/json", "file"),
        (b"title\nA\n", "text/csv", "file"),
        (b"[" * 100_000, "application/json", "file"),
    ],
)
def test_unreadable_file_is_400_naming_the_file(editor_client, demo_data, body, content_type, attr):
    response = editor_client.post(URL, body, content_type=content_type)
    assert response.status_code == 400
    assert error_attrs(response) == {attr}


@pytest.mark.parametrize(
    ("content_type", "status"),
    [("application/vnd.ms-excel", 415), ("text/*", 200), ("application/*", 400), ("*/*", 400)],
)
def test_other_or_wildcard_media_types_get_a_client_answer(
    editor_client, demo_data, content_type, status
):
    response = editor_client.post(URL, b"key\n", content_type=content_type)
    assert response.status_code == status


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_bad_option_is_400_naming_it(editor_client, demo_data, second_file, value):
    response = post_json(editor_client, second_file, dry_run=value)
    assert response.status_code == 400
    assert error_attrs(response) == {"dry_run"}


def test_body_over_the_import_limit_is_413_and_reads_nothing(editor_client, demo_data, settings):
    settings.REGWATCH_IMPORT_MAX_BYTES = 100
    response = post_json(editor_client, json.loads(SECOND_FILE.read_text()))
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "request_too_large"
    assert not Measure.objects.filter(key__in=SECOND_KEYS).exists()


def test_upload_over_the_import_limit_is_413(editor_client, demo_data, settings):
    settings.REGWATCH_IMPORT_MAX_BYTES = 1000
    upload = SimpleUploadedFile("measures.json", SECOND_FILE.read_bytes())
    response = editor_client.post(URL, {"file": upload}, format="multipart")
    assert response.status_code == 413


def test_import_takes_files_larger_than_other_api_bodies(editor_client, demo_data, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000  # what a measure's body may weigh
    response = post_json(editor_client, json.loads(SECOND_FILE.read_text()), dry_run="true")
    assert response.status_code == 200, response.content
    over = editor_client.post("/api/v1/sectors/", {"slug": "x", "name": "x" * 2000}, format="json")
    assert over.status_code == 413


def test_two_files_in_one_import_are_refused(editor_client, demo_data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    files = [SimpleUploadedFile(name, b'{"measures": []}') for name in ("a.json", "b.json")]
    response = editor_client.post("/api/v1/imports/?dry_run=true", {"file": files})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "file"
