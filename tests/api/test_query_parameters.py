"""The query-parameter contract: only documented parameters, lists by comma or repetition,
one value where one is taken, days as YYYY-MM-DD and moments as RFC 3339; everything else is
a 400 naming the parameter, never an answer to another question."""

import datetime
import json

import pytest
from django.db.models import Prefetch
from drf_spectacular.generators import SchemaGenerator

from tests.api.conftest import error_attrs
from timeline.models import Measure, MeasureEvent
from timeline.status import MeasureStatus

MEASURES = "/api/v1/measures/"
EVENTS = "/api/v1/events/"
MEASURE_TIMELINE = "/api/v1/measures/cn-mofcom-2025-62/timeline/"
MATERIAL_TIMELINE = "/api/v1/materials/rare-earth-elements/timeline/"


def all_keys(client, url, query: str) -> list[str]:
    response = client.get(f"{url}?{query}&page_size=500")
    assert response.status_code == 200, response.content
    return [
        item.get("key") or json.dumps(item, sort_keys=True) for item in response.json()["results"]
    ]


def detail(response) -> str:
    return " ".join(error["detail"] for error in response.json()["errors"])


# ---------------------------------------------------------------- lists and repeats


@pytest.mark.parametrize(
    ("url", "repeated", "comma_list"),
    [
        (MEASURES, "jurisdiction=CN&jurisdiction=US", "jurisdiction=CN,US"),
        (MEASURES, "status=ended&status=upcoming", "status=ended,upcoming"),
        (MEASURES, "material=gallium&material=graphite", "material=gallium,graphite"),
        (
            MEASURES,
            "ordering=jurisdiction&ordering=-key".replace("jurisdiction", "title"),
            "ordering=title,-key",
        ),
        (EVENTS, "type=suspended&type=reinstated", "type=suspended,reinstated"),
        ("/api/v1/materials/", "category=group&category=technology", "category=group,technology"),
    ],
)
def test_a_repeated_list_parameter_means_the_comma_list(
    client, demo_data, url, repeated, comma_list
):
    expected = all_keys(client, url, comma_list)
    assert len(expected) > 2
    assert all_keys(client, url, repeated) == expected


def test_the_repeated_jurisdiction_finds_both_jurisdictions(client, demo_data):
    found = client.get(f"{MEASURES}?jurisdiction=CN&jurisdiction=US&page_size=100").json()
    assert {m["jurisdiction"] for m in found["results"]} == {"CN", "US"}


@pytest.mark.parametrize(
    "query",
    ["jurisdiction= CN , US ", "jurisdiction=CN%20,%20US", "jurisdiction=CN&jurisdiction= US"],
)
def test_spaces_around_commas_are_trimmed(client, demo_data, query):
    assert all_keys(client, MEASURES, query) == all_keys(client, MEASURES, "jurisdiction=CN,US")


@pytest.mark.parametrize(
    ("url", "query", "parameter"),
    [
        (MEASURES, "status=,,,", "status"),
        (MEASURES, "jurisdiction=CN,,US", "jurisdiction"),
        (MEASURES, "measure_type=export_quota,", "measure_type"),
        (MEASURES, "ordering=effective_on,", "ordering"),
        (MEASURES, "ordering=,,", "ordering"),
        (EVENTS, "type=,", "type"),
    ],
)
def test_an_empty_item_in_a_list_is_refused(client, demo_data, url, query, parameter):
    response = client.get(f"{url}?{query}")
    assert response.status_code == 400
    assert error_attrs(response) == {parameter}
    assert "empty" in detail(response)


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        *((name, value) for name in ("status", "jurisdiction", "q", "as_of", "page")
          for value in ("", "%20", "%20%20")),
        ("format", ""),  # a format of spaces is one not offered: 406
    ],
)  # fmt: skip
def test_an_empty_parameter_is_refused_not_guessed(client, demo_data, parameter, value):
    response = client.get(f"{MEASURES}?{parameter}={value}")
    assert response.status_code == 400
    assert error_attrs(response) == {parameter}
    assert "empty" in detail(response)


@pytest.mark.parametrize(
    ("url", "parameter", "value"),
    [
        (MEASURES, "as_of", "2025-01-01"),
        (MEASURES, "in_force_on", "2025-01-01"),
        (MEASURES, "q", "gallium"),
        (MEASURES, "updated_since", "2025-01-01T00:00:00Z"),
        (MEASURES, "page", "1"),
        (MEASURES, "page_size", "10"),
        (MEASURES, "format", "json"),
        (EVENTS, "date_after", "2025-01-01"),
        (MATERIAL_TIMELINE, "date_before", "2025-01-01"),
    ],
)
def test_a_single_valued_parameter_given_twice_is_refused(client, demo_data, url, parameter, value):
    response = client.get(f"{url}?{parameter}={value}&{parameter}={value}")
    assert response.status_code == 400
    assert error_attrs(response) == {parameter}
    assert "one value" in detail(response)


# ---------------------------------------------------------------- unknown parameters


@pytest.mark.parametrize(
    ("url", "parameter", "suggested"),
    [
        (MEASURES, "materail", "material"),
        (MEASURES, "jurisdicton", "jurisdiction"),
        (MEASURES, "in_force", "in_force_on"),
        (MEASURES, "foo", None),
        (EVENTS, "date_from", "date_after"),
        (EVENTS, "date_to", "date_before"),
        (MEASURE_TIMELINE, "sort", "ordering"),
        ("/api/v1/materials/", "catgory", "category"),
        ("/api/v1/measures/cn-mofcom-2025-62/", "expand", None),
        ("/api/v1/measures/cn-mofcom-2025-62/history/", "pagesize", "page_size"),
        ("/api/v1/jurisdictions/CN/", "q", None),
    ],
)
def test_an_unknown_parameter_is_named_with_the_closest_known_one(
    client, demo_data, url, parameter, suggested
):
    response = client.get(url, {parameter: "gallium"})
    assert response.status_code == 400
    assert error_attrs(response) == {parameter}
    if suggested:
        assert f"Did you mean `{suggested}`?" in detail(response)
    else:
        assert "Did you mean" not in detail(response)


def test_every_unknown_parameter_is_named_at_once(client, demo_data):
    response = client.get(MEASURES, {"materail": "gallium", "foo": "bar"})
    assert error_attrs(response) == {"materail", "foo"}


def test_an_unknown_parameter_on_a_write_changes_nothing(editor_client, demo_data):
    response = editor_client.patch(
        "/api/v1/measures/cn-mofcom-2025-62/?dry_run=true", {"notes": "x"}, format="json"
    )
    assert response.status_code == 400
    assert error_attrs(response) == {"dry_run"}
    assert Measure.objects.get(key="cn-mofcom-2025-62").notes != "x"


def schema_operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield (
                path,
                method,
                {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"},
            )


PATH_VALUES = {
    "{key}": "cn-mofcom-2025-62",
    "{version}": "1",
    "{id}": "1",
    "{delivery_id}": "1",
}
# The slug or code of an existing record of each resource.
LOOKUPS = {
    "materials": "gallium",
    "authorities": "mofcom",
    "sectors": "semiconductors",
    "jurisdictions": "CN",
    "hs": "2805",
}


def concrete(path: str) -> str:
    for placeholder, value in PATH_VALUES.items():
        path = path.replace(placeholder, value)
    resource = path.removeprefix("/api/v1/").split("/")[0]
    return path.replace("{slug}", LOOKUPS.get(resource, "x")).replace(
        "{code}", LOOKUPS.get(resource, "x")
    )


@pytest.mark.parametrize(
    ("path", "method", "documented"),
    list(schema_operations()),
    ids=[f"{method} {path}" for path, method, _ in schema_operations()],
)
def test_exactly_the_documented_parameters_are_accepted(
    editor_client, demo_data, path, method, documented
):
    url = concrete(path)
    refused = getattr(editor_client, method)(f"{url}?not_a_parameter=1", format="json")
    assert refused.status_code == 400, refused.content
    assert error_attrs(refused) == {"not_a_parameter"}
    if method == "get":
        for name in documented:
            response = editor_client.get(f"{url}?{name}=")
            assert "Unknown query parameter" not in response.content.decode(), name
            assert error_attrs(response) == {name}


# ---------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("url", "parameter", "value", "listed"),
    [
        (MEASURES, "status", "bogus", ["upcoming", "in_force", "suspended", "ended"]),
        (MEASURES, "measure_type", "embargo", ["export_prohibition", "export_quota"]),
        (MEASURES, "material_category", "gas", ["rare_earth_element", "group"]),
        (EVENTS, "type", "happened", ["announced", "suspended", "reinstated"]),
        ("/api/v1/materials/", "category", "metal", ["critical_mineral", "technology"]),
        (MEASURES, "ordering", "colour", ["effective_on", "announced_on", "updated_at"]),
    ],
)
def test_an_unknown_value_lists_the_valid_choices(client, demo_data, url, parameter, value, listed):
    response = client.get(url, {parameter: value})
    assert response.status_code == 400
    assert error_attrs(response) == {parameter}
    assert all(choice in detail(response) for choice in listed)


@pytest.mark.parametrize(
    ("url", "parameter", "value", "suggested"),
    [
        (MEASURES, "material", "dysprosum", "dysprosium"),
        (MEASURES, "authority", "mofcon", "mofcom"),
        (MEASURES, "sector", "semiconductor", "semiconductors"),
        (EVENTS, "measure", "cn-mofcom-2025-621", "cn-mofcom-2025-62"),
        (MEASURES, "ordering", "-efective_on", "effective_on"),
    ],
)
def test_an_unknown_slug_suggests_the_nearest(client, demo_data, url, parameter, value, suggested):
    response = client.get(url, {parameter: value})
    assert response.status_code == 400
    assert f"Did you mean `{suggested}`?" in detail(response)


@pytest.mark.parametrize(
    ("parameter", "url"),
    [("jurisdiction", MEASURES), ("target", MEASURES), ("jurisdiction", EVENTS)],
)
def test_jurisdiction_codes_match_whatever_their_case(client, demo_data, parameter, url):
    upper = all_keys(client, url, f"{parameter}=CN,US")
    assert upper
    assert all_keys(client, url, f"{parameter}=cn,Us") == upper


# ---------------------------------------------------------------- days and moments


@pytest.mark.parametrize(
    "value",
    [
        "06/01/2025",
        "01/06/2025",
        "2025-6-1",
        "20250601",
        "2025-W22-7",
        "2025-152",
        "2025-06-01T00:00:00Z",
        "2025/06/01",
        " 2025-06-01",
        "1 June 2025",
        "2025-06-31",
    ],
)
@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        (MEASURES, "in_force_on"),
        (MEASURES, "as_of"),
        (MEASURES, "announced_after"),
        (EVENTS, "date_after"),
        (MATERIAL_TIMELINE, "date_before"),
    ],
)
def test_a_day_is_yyyy_mm_dd_and_nothing_else(client, demo_data, url, parameter, value):
    response = client.get(url, {parameter: value})
    assert response.status_code == 400
    assert error_attrs(response) == {parameter}
    assert "YYYY-MM-DD" in detail(response)


@pytest.mark.parametrize(
    ("query", "hint"),
    [
        ("updated_since=2025-06-01", "RFC 3339"),
        ("updated_since=2025-06-01T00:00:00", "RFC 3339"),
        ("updated_since=2025-06-01T00:00Z", "RFC 3339"),
        ("updated_since=2025-06-01 00:00:00Z", "RFC 3339"),
        ("updated_since=1748736000", "RFC 3339"),
        ("updated_since=2025-06-01T00:00:00+08:00", "%2B"),  # the + arrives as a space
        ("updated_since=2025-02-30T00:00:00Z", "not a moment"),
    ],
)
def test_a_moment_is_rfc_3339_with_an_offset(client, demo_data, query, hint):
    response = client.get(f"{MEASURES}?{query}")
    assert response.status_code == 400
    assert error_attrs(response) == {"updated_since"}
    assert hint in detail(response)


@pytest.mark.parametrize(
    "value",
    [
        "2025-06-01T08:00:00%2B08:00",
        "2025-06-01T00:00:00Z",
        "2025-06-01t00:00:00z",
        "2025-06-01T00:00:00.000000001Z",
        "2025-05-31T20:00:00-04:00",
    ],
)
def test_equal_moments_in_any_rfc_3339_spelling_give_the_same_answer(client, demo_data, value):
    assert all_keys(client, MEASURES, f"updated_since={value}") == all_keys(
        client, MEASURES, "updated_since=2025-06-01T00:00:00Z"
    )


@pytest.mark.parametrize(
    ("moment", "everything"),
    [
        ("9999-12-31T23:59:59-14:00", False),
        ("9999-12-31T23:59:59Z", False),
        ("9999-12-31T23:59:59.999999%2B14:00", False),
        ("0001-01-01T00:00:00%2B14:00", True),
        ("0001-01-01T00:00:00Z", True),
        ("0001-01-01T00:00:00-14:00", True),
    ],
)
def test_moments_at_either_end_of_the_calendar_answer_as_postgresql_does(
    client, demo_data, moment, everything
):
    found = all_keys(client, MEASURES, f"updated_since={moment}")
    assert found == (all_keys(client, MEASURES, "") if everything else [])


def statuses_on(day: datetime.date, status: str) -> set[str]:
    measures = Measure.objects.prefetch_related(
        Prefetch("events", queryset=MeasureEvent.objects.all())
    )
    return {m.key for m in measures if m.status_on(day) == status}


@pytest.mark.parametrize("day", ["0001-01-01", "1900-01-01", "9999-12-31"])
@pytest.mark.parametrize("status", [s.value for s in MeasureStatus])
def test_days_at_either_end_of_the_calendar_follow_the_status_rule(client, demo_data, day, status):
    found = set(all_keys(client, MEASURES, f"status={status}&as_of={day}"))
    assert found == statuses_on(datetime.date.fromisoformat(day), status)


@pytest.mark.parametrize("query", ["date_after=0001-01-01", "date_before=9999-12-31"])
def test_event_ranges_at_either_end_of_the_calendar_hold_everything(client, demo_data, query):
    assert client.get(f"{EVENTS}?{query}").json()["count"] == MeasureEvent.objects.count()


# ---------------------------------------------------------------- ordering and pages


@pytest.mark.parametrize("value", ["effective_on,", ",,", "-", ",key", "--key", "colour"])
@pytest.mark.parametrize("url", [MEASURES, EVENTS, MEASURE_TIMELINE, MATERIAL_TIMELINE])
def test_malformed_ordering_is_400_naming_ordering(client, demo_data, url, value):
    if url != MEASURES:
        value = value.replace("effective_on", "date").replace("key", "date")
    response = client.get(url, {"ordering": value})
    assert response.status_code == 400, response.content
    assert error_attrs(response) == {"ordering"}


def test_a_field_named_again_in_ordering_changes_nothing(client, demo_data):
    assert all_keys(client, MEASURES, "ordering=title,-title,key") == all_keys(
        client, MEASURES, "ordering=title,key"
    )


@pytest.mark.parametrize("value", ["abc", "0", "-1", "1.5", "last", " 1", "1e3"])
@pytest.mark.parametrize("url", [MEASURES, EVENTS, "/api/v1/materials/"])
def test_a_page_is_a_whole_number_from_1(client, demo_data, url, value):
    response = client.get(url, {"page": value})
    assert response.status_code == 400
    assert error_attrs(response) == {"page"}


def test_a_page_past_the_last_is_404(client, demo_data):
    response = client.get(MEASURES, {"page": 2})
    assert response.status_code == 404
    assert "no page 2" in detail(response)


# ---------------------------------------------------------------- bodies


@pytest.mark.parametrize(
    "raw",
    ["[" * 5000 + "]" * 5000, '{"a":' * 5000 + "1" + "}" * 5000, "[" * 40 + "]" * 40],
    ids=["arrays 5000 deep", "objects 5000 deep", "arrays 40 deep"],
)
def test_a_deeply_nested_body_is_refused(editor_client, demo_data, raw):
    response = editor_client.post(MEASURES, raw, content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper" in detail(response)


def test_too_many_parameters_are_a_json_400(client, demo_data):
    response = client.get(MEASURES + "?" + "&".join(f"p{i}=1" for i in range(1200)))
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "too_many_parameters"


def test_an_unsupported_method_is_405_whatever_its_parameters(editor_client, demo_data):
    response = editor_client.put("/api/v1/measures/cn-mofcom-2025-62/history/?page=1")
    assert response.status_code == 405


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
@pytest.mark.parametrize("path", ["/api/v1/measures", "/api/v1/measures/cn-mofcom-2025-62"])
def test_an_address_without_its_slash_is_a_json_404_naming_the_right_one(
    editor_client, demo_data, method, path
):
    response = getattr(editor_client, method)(path, {}, format="json")
    assert response.status_code == 404
    assert f"Did you mean `{path}/`?" in detail(response)


@pytest.mark.parametrize("path", ["/api/v1/bogus/", "/api/v1/measures//", "/api/nothing"])
def test_an_unknown_api_address_is_a_json_404(client, demo_data, path, settings):
    settings.DEBUG = True  # as under make run: Django's own 404 page would be HTML
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_the_admin_still_adds_its_slash(admin_client, demo_data):
    response = admin_client.get("/admin/timeline/measure")
    assert response.status_code == 301
    assert response["Location"].endswith("/admin/timeline/measure/")
