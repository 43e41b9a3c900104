"""Every list answers in CSV, Excel, NDJSON, Atom and iCalendar with the JSON list's filters
and order, read back here with each format's standard reader."""

import csv
import datetime
import io
import json

import feedparser
import icalendar
import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.exports import views as export_views
from tests.api.conftest import results

LISTS = [
    ("/api/v1/measures/", {"material": "gallium"}),
    ("/api/v1/measures/", {"jurisdiction": "CN", "ordering": "title"}),
    ("/api/v1/events/", {"type": "suspended,reinstated", "ordering": "-date"}),
    ("/api/v1/materials/gallium/timeline/", {}),
    ("/api/v1/measures/cn-mofcom-2025-61/timeline/", {}),
    ("/api/v1/materials/", {"category": "critical_mineral"}),
]
MEASURES = ("/api/v1/measures/", {"material": "rare-earth-elements", "status": "in_force"})


def body(response) -> bytes:
    assert response.status_code == 200, response.content if not response.streaming else ""
    return b"".join(response.streaming_content)


def json_items(client, url, params) -> list[dict]:
    return results(client.get(url, {**params, "page_size": 500}))


def csv_rows(client, url, params) -> list[dict]:
    text = body(client.get(url, {**params, "format": "csv"})).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def identity(item: dict) -> tuple:
    """What names a list item: a measure's key, an event's date, type and measure."""
    if "key" in item:
        return (item["key"],)
    if "slug" in item:
        return (item["slug"],)
    measure = item["measure"]
    return (item["date"], item["type"], measure if isinstance(measure, str) else measure["key"])


@pytest.mark.parametrize(("url", "params"), LISTS)
def test_csv_export_has_the_json_lists_rows_in_its_order(client, demo_data, url, params):
    items = json_items(client, url, params)
    rows = csv_rows(client, url, params)
    assert items
    assert [identity(row) for row in rows] == [identity(item) for item in items]


def test_csv_measure_cells_are_the_json_values_with_lists_joined(client, demo_data):
    items = json_items(client, *MEASURES)
    rows = csv_rows(client, *MEASURES)
    for item, row in zip(items, rows, strict=True):
        assert row["title"] == item["title"]
        assert row["status"] == "in_force"
        assert row["status_confirmed"] == str(item["status_confirmed"]).lower()
        assert row["effective_on"] == (item["effective_on"] or "")
        assert row["authorities"] == "; ".join(item["authorities"])
        assert row["updated_at"] == item["updated_at"]


@pytest.mark.parametrize(("url", "params"), LISTS)
def test_ndjson_lines_are_exactly_the_json_list_items(client, demo_data, url, params):
    items = json_items(client, url, params)
    lines = body(client.get(url, {**params, "format": "ndjson"})).decode().splitlines()
    assert [json.loads(line) for line in lines] == items


def test_accept_header_chooses_the_format_as_the_parameter_does(client, demo_data):
    response = client.get(MEASURES[0], MEASURES[1], HTTP_ACCEPT="text/csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert body(response) == body(client.get(MEASURES[0], {**MEASURES[1], "format": "csv"}))


def test_xlsx_export_has_the_rows_typed_dates_and_a_frozen_header(client, demo_data):
    items = json_items(client, *MEASURES)
    response = client.get(MEASURES[0], {**MEASURES[1], "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(body(response))).active
    rows = list(sheet.iter_rows(values_only=True))
    header, data = rows[0], rows[1:]
    assert sheet.freeze_panes == "A2"
    assert [row[header.index("key")] for row in data] == [item["key"] for item in items]
    for item, row in zip(items, data, strict=True):
        cell = row[header.index("effective_on")]
        assert isinstance(cell, datetime.datetime)  # a date cell (Excel dates read as datetimes)
        assert cell.date().isoformat() == item["effective_on"]
        assert row[header.index("status_confirmed")] is item["status_confirmed"]


def test_atom_feed_lists_the_matching_measures_newest_change_first(client, demo_data):
    items = json_items(client, MEASURES[0], {**MEASURES[1], "ordering": "-updated_at,key"})
    response = client.get(MEASURES[0], {**MEASURES[1], "format": "atom"})
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(body(response))
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    assert [entry.id for entry in feed.entries] == [item["url"] for item in items]
    first, item = feed.entries[0], items[0]
    assert first.title == item["title"]
    links = {link.rel: link.href for link in first.links}
    assert links["alternate"] == item["url"]
    assert "/admin/timeline/measure/" in links["edit"]
    assert "in force" in first.summary
    assert item["effective_on"] in first.summary


def test_atom_feed_keeps_an_ordering_the_request_names(client, demo_data):
    params = {**MEASURES[1], "ordering": "title"}
    feed = feedparser.parse(body(client.get(MEASURES[0], {**params, "format": "atom"})))
    assert [e.id for e in feed.entries] == [
        i["url"] for i in json_items(client, MEASURES[0], params)
    ]


def calendar_events(response) -> list:
    calendar = icalendar.Calendar.from_ical(body(response))
    return list(calendar.walk("VEVENT"))


def test_ics_holds_each_measures_dates_as_all_day_events(client, demo_data):
    items = json_items(client, *MEASURES)
    events = calendar_events(client.get(MEASURES[0], {**MEASURES[1], "format": "ics"}))
    by_uid = {str(event["UID"]): event for event in events}
    for item in items:
        effective = by_uid[f"{item['key']}.effective@testserver"]
        start = effective.decoded("DTSTART")
        assert type(start) is datetime.date  # all day
        assert start.isoformat() == item["effective_on"]
        assert effective.decoded("DTEND") == start + datetime.timedelta(days=1)
        assert str(effective["URL"]) == item["url"]
    assert len(by_uid) == len(events)  # no UID twice


def test_ics_uids_stay_the_same_when_a_date_moves(client, demo_data, editor_client):
    def starts() -> dict[str, datetime.date]:
        response = client.get("/api/v1/measures/", {"jurisdiction": "EU", "format": "ics"})
        return {str(e["UID"]): e.decoded("DTSTART") for e in calendar_events(response)}

    key = "eu-2024-1252-crma"
    uid = f"{key}.effective@testserver"
    before = starts()
    response = editor_client.patch(
        f"/api/v1/measures/{key}/", {"effective_on": "2024-06-01"}, format="json"
    )
    assert response.status_code == 200, response.content
    after = starts()
    assert before[uid] != datetime.date(2024, 6, 1) == after[uid]
    assert set(before) <= set(after)  # the recorded event of the old date stays


def test_events_ics_has_one_all_day_event_per_timeline_entry(client, demo_data):
    url, params = "/api/v1/materials/gallium/timeline/", {}
    items = json_items(client, url, params)
    events = calendar_events(client.get(url, {"format": "ics"}))

    def uid(item: dict) -> str:
        if item["derived"] and item["type"] in ("announced", "effective", "ended"):
            return f"{item['measure']['key']}.{item['type']}@testserver"  # the measure's date
        return f"{item['measure']['key']}.{item['type']}.{item['date']}@testserver"

    assert [(e.decoded("DTSTART").isoformat(), str(e["UID"])) for e in events] == [
        (i["date"], uid(i)) for i in items
    ]
    assert any(i["derived"] for i in items) and any(not i["derived"] for i in items)


def test_a_moved_entry_into_force_keeps_its_uid_in_every_calendar(client, demo_data, editor_client):
    key = "cn-mofcom-gac-2025-18"  # its entry into force is not also a recorded event
    addresses = [
        ("/api/v1/measures/", {"jurisdiction": "CN"}),
        ("/api/v1/events/", {"measure": key}),
        (f"/api/v1/measures/{key}/timeline/", {}),
    ]

    def starts() -> list[dict[str, datetime.date]]:
        return [
            {
                str(e["UID"]): e.decoded("DTSTART")
                for e in calendar_events(client.get(url, {**params, "format": "ics"}))
            }
            for url, params in addresses
        ]

    before = starts()
    response = editor_client.patch(
        f"/api/v1/measures/{key}/", {"effective_on": "2025-04-20"}, format="json"
    )
    assert response.status_code == 200, response.content
    uid = f"{key}.effective@testserver"
    for earlier, later in zip(before, starts(), strict=True):
        assert earlier[uid] == datetime.date(2025, 4, 4)
        assert later[uid] == datetime.date(2025, 4, 20)


def test_two_entries_of_one_type_on_one_day_get_a_uid_each(client, empty_timeline, make_measure):
    from timeline.models import Material

    gallium = Material.objects.create(slug="gallium", name="Gallium", category="critical_mineral")
    day = datetime.date(2025, 5, 1)
    make_measure(key="m-1", events=[(day, "note"), (day, "note"), (day, "amended")],
                 materials=[gallium])  # fmt: skip
    make_measure(key="m-2", events=[(day, "note")], materials=[gallium])
    first, second = "m-1.note.2025-05-01@testserver", "m-1.note.2025-05-01.2@testserver"
    for url in ("/api/v1/measures/", "/api/v1/materials/gallium/timeline/", "/api/v1/events/"):
        uids = [str(event["UID"]) for event in calendar_events(client.get(url, {"format": "ics"}))]
        assert len(uids) == len(set(uids)), url
        assert {first, second, "m-2.note.2025-05-01@testserver"} <= set(uids), url
        assert uids.index(first) < uids.index(second), url


def test_control_characters_in_stored_text_or_the_query_do_not_break_feeds_or_calendars(
    client, empty_timeline, make_measure
):
    from timeline.models import Material
    from timeline.services import EventEntry, save_measure

    gallium = Material.objects.create(slug="gallium", name="Gallium", category="critical_mineral")
    measure = make_measure(key="m-1", title="Ctrl\x01char\x0btitle\x7f", materials=[gallium])
    note = EventEntry(datetime.date(2025, 5, 1), "note", note="line one\nline\x02two")
    save_measure(measure, events=[note])
    asked = [
        ("/api/v1/measures/", {"jurisdiction": "CN\n"}),
        ("/api/v1/measures/", {}),
        ("/api/v1/events/", {"type": "note\n"}),
        ("/api/v1/materials/gallium/timeline/", {}),
    ]
    for url, params in asked:
        response = client.get(url, {**params, "format": "ics"})
        assert response.status_code == 200, (url, params)
        text = body(response).decode()
        assert "Ctrlchartitle" in text and "\x01" not in text and "\x02" not in text
        calendar = icalendar.Calendar.from_ical(text)
        notes = [str(e["DESCRIPTION"]) for e in calendar.walk("VEVENT") if "note" in e["SUMMARY"]]
        assert notes and notes[0].startswith("line one\nlinetwo"), (url, params)
    for params in ({"jurisdiction": "CN\n"}, {"q": "title\x01"}, {}):
        response = client.get("/api/v1/measures/", {**params, "format": "atom"})
        assert response.status_code == 200, params
        feed = feedparser.parse(body(response))
        assert not feed.bozo, params
        assert [entry.title for entry in feed.entries] == ["Ctrlchartitle"]


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_neutralised(
    client, empty_timeline, make_measure
):
    titles = ('=HYPERLINK("http://evil")', "+1", "-2+3", "@SUM(A1)", "\tx", "plain - text")
    for number, title in enumerate(titles):
        make_measure(key=f"m-{number}", title=title)
    rows = csv_rows(client, "/api/v1/measures/", {"ordering": "title"})
    titles = {row["title"] for row in rows}
    assert titles == {
        '\'=HYPERLINK("http://evil")',
        "'+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\tx",
        "plain - text",
    }


def test_xlsx_text_that_looks_like_a_formula_stays_text(client, empty_timeline, make_measure):
    make_measure(key="formula", title="=1+1")
    response = client.get("/api/v1/measures/", {"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(body(response))).active
    cell = sheet.cell(row=2, column=3)
    assert (cell.value, cell.data_type) == ("=1+1", "s")


@pytest.mark.parametrize(
    ("url", "params", "filename"),
    [
        (
            "/api/v1/measures/",
            {"material": "gallium", "status": "in_force", "format": "csv"},
            "regwatch-measures_material-gallium_status-in_force.csv",
        ),
        (
            "/api/v1/materials/gallium/timeline/",
            {"format": "xlsx"},
            "regwatch-materials-gallium-timeline.xlsx",
        ),
        ("/api/v1/events/", {"type": "ended", "format": "csv"}, "regwatch-events_type-ended.csv"),
    ],
)
def test_csv_and_xlsx_are_attachments_named_for_what_was_asked(
    client, demo_data, url, params, filename
):
    response = client.get(url, params)
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'


def test_an_export_is_not_modified_for_its_etag_until_the_timeline_changes(
    client, demo_data, editor_client
):
    url, params = "/api/v1/measures/", {"material": "gallium", "format": "ics"}
    first = client.get(url, params)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert client.get(url, params, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(url, params, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert client.get(url, {**params, "format": "csv"}, HTTP_IF_NONE_MATCH=etag).status_code == 200
    editor_client.patch("/api/v1/materials/gallium/", {"symbol": "Ga"}, format="json")
    editor_client.patch("/api/v1/measures/eu-2024-1252-crma/", {"notes": "Changed."}, format="json")
    again = client.get(url, params, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200
    assert again["ETag"] != etag


def test_a_workbooks_etag_is_weak(client, demo_data):
    assert client.get("/api/v1/materials/", {"format": "xlsx"})["ETag"].startswith('W/"')


@pytest.mark.parametrize("name", ["page", "page_size"])
def test_an_export_refuses_paging_naming_the_parameter(client, demo_data, name):
    response = client.get("/api/v1/measures/", {"format": "csv", name: "2"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["attr"] == name


def test_a_bad_filter_with_an_export_format_is_a_json_400(client, demo_data):
    response = client.get("/api/v1/events/", {"format": "ics", "material": "galium"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["attr"] == "material"


@pytest.mark.parametrize(
    ("url", "format_"),
    [("/api/v1/materials/", "atom"), ("/api/v1/materials/", "ics"), ("/api/v1/events/", "atom")],
)
def test_a_format_a_list_does_not_offer_is_406_listing_those_it_does(
    client, demo_data, url, format_
):
    response = client.get(url, {"format": format_})
    assert response.status_code == 406
    detail = response.json()["errors"][0]["detail"]
    assert "csv (text/csv)" in detail and "ndjson (application/x-ndjson)" in detail


def test_a_measure_itself_offers_no_export_format(client, demo_data):
    assert client.get("/api/v1/measures/cn-mofcom-2025-62/", {"format": "csv"}).status_code == 406


@pytest.mark.parametrize(("url", "params"), [MEASURES, LISTS[2], LISTS[5]])
def test_export_queries_grow_with_chunks_not_rows(client, demo_data, monkeypatch, url, params):
    def queries(chunk_size: int) -> tuple[int, int]:
        monkeypatch.setattr(export_views, "CHUNK_SIZE", chunk_size)
        with CaptureQueriesContext(connection) as captured:
            rows = len(body(client.get(url, {**params, "format": "ndjson"})).splitlines())
        return len(captured), rows

    whole, rows = queries(10_000)
    in_pairs, _ = queries(2)
    chunks = -(-rows // 2)
    per_chunk = (in_pairs - whole) / (chunks - 1)
    assert rows > 4
    assert per_chunk == int(per_chunk) <= 8  # the row builder's queries, once per chunk


def test_the_browsable_list_offers_each_format(client, demo_data):
    page = client.get("/api/v1/measures/", HTTP_ACCEPT="text/html").content.decode()
    for format_ in ("csv", "xlsx", "ndjson", "atom", "ics"):
        assert f'href="/api/v1/measures/?format={format_}"' in page


def test_head_of_an_export_has_the_exports_headers(client, demo_data):
    response = client.head("/api/v1/measures/", {"format": "csv"})
    assert response.status_code == 200
    got = client.get("/api/v1/measures/", {"format": "csv"})
    for name in ("ETag", "Last-Modified", "Content-Type", "Content-Disposition"):
        assert response[name] == got[name]


def test_an_export_of_an_unknown_measures_timeline_is_a_json_404(client, demo_data):
    response = client.get("/api/v1/measures/nope/timeline/", {"format": "ics"})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_dates_known_to_the_month_stay_so_in_every_format(client, empty_timeline, make_measure):
    make_measure(
        key="march",
        announced_on=datetime.date(2025, 1, 1),
        announced_on_precision="year",
        effective_on=datetime.date(2025, 3, 1),
        effective_on_precision="month",
    )
    (row,) = csv_rows(client, "/api/v1/measures/", {})
    assert (row["announced_on"], row["effective_on"]) == ("2025", "2025-03")
    assert row["effective_on_precision"] == "month"
    workbook = client.get("/api/v1/measures/", {"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(body(workbook))).active
    header, values = list(sheet.iter_rows(values_only=True))
    assert values[header.index("effective_on")] == "2025-03"  # text, not an invented day
    events = calendar_events(client.get("/api/v1/measures/", {"format": "ics"}))
    spans = {str(e["UID"]): (e.decoded("DTSTART"), e.decoded("DTEND")) for e in events}
    assert spans["march.effective@testserver"] == (
        datetime.date(2025, 3, 1),
        datetime.date(2025, 4, 1),
    )
    assert spans["march.announced@testserver"] == (
        datetime.date(2025, 1, 1),
        datetime.date(2026, 1, 1),
    )
