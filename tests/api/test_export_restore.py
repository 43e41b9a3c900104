import json

from django.core.management import call_command

from tests.conftest import empty_the_timeline
from timeline.models import Jurisdiction, Measure


def api_snapshot(client) -> dict:
    keys = Measure.objects.order_by("key").values_list("key", flat=True)
    return {
        key: (
            client.get(f"/api/v1/measures/{key}/").content,
            client.get(f"/api/v1/measures/{key}/timeline/", {"page_size": 500}).content,
        )
        for key in keys
    } | {
        "materials": client.get("/api/v1/materials/", {"page_size": 500}).content,
        "authorities": client.get("/api/v1/authorities/").content,
        "sectors": client.get("/api/v1/sectors/", {"page_size": 500}).content,
        "jurisdictions": client.get("/api/v1/jurisdictions/", {"page_size": 500}).content,
    }


def test_export_wipe_load_gives_byte_identical_api_output(
    client, editor_client, demo_data, tmp_path
):
    # Edits through the API first, so the backup holds more than the demo files did.
    editor_client.patch(
        "/api/v1/measures/cn-mofcom-2025-62/",
        {
            "events": [
                {"date": "2025-10-09", "type": "note", "note": "Same day as the announcement."},
                {"date": "2025-10-09", "type": "announced"},
            ]
        },
        format="json",
    )
    editor_client.post(
        "/api/v1/materials/",
        {
            "slug": "magnet-metals",
            "name": "Magnet metals",
            "category": "group",
            "groups": ["rare-earth-elements"],
        },
        format="json",
    )
    before = api_snapshot(client)
    backup = tmp_path / "backup.json"
    call_command("export_timeline", str(backup))

    empty_the_timeline()
    Jurisdiction.objects.filter(code="EU").update(name="Edited after the backup")
    assert client.get("/api/v1/measures/").json()["count"] == 0
    call_command("load_timeline", str(backup))

    assert api_snapshot(client) == before


def test_export_is_in_the_loader_format_and_reloads_as_unchanged(demo_data, tmp_path, capsys):
    backup = tmp_path / "backup.json"
    call_command("export_timeline", str(backup))
    document = json.loads(backup.read_text())
    assert set(document) == {"jurisdictions", "authorities", "sectors", "materials", "measures"}
    assert len(document["measures"]) == 19
    capsys.readouterr()
    call_command("load_timeline", str(backup))
    assert "measures: 0 created, 0 updated, 19 unchanged" in capsys.readouterr().out


def test_export_to_stdout(demo_data, capsys):
    call_command("export_timeline")
    assert json.loads(capsys.readouterr().out)["measures"][0]["key"] == "cn-mofcom-2024-46-art1"
