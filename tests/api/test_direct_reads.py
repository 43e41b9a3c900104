"""Direct reads (``api.direct_reads``): the four most asked anonymous reads, answered in front
of Django, must be Django's answers byte for byte, headers included, and everything else must
reach Django. Requests go through the WSGI application as a server would call it."""

import datetime

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, set_script_prefix
from prometheus_client import REGISTRY
from rest_framework.authentication import BaseAuthentication

from api import direct_reads, views
from api.direct_reads import DirectReads
from tests.wsgi_client import wsgi_client
from timeline import page_rows
from timeline.models import Measure
from timeline.synthetic import generate


class Recording:
    """Django's WSGI application, recording the paths it was asked."""

    def __init__(self):
        self.django = WSGIHandler()
        self.asked: list[str] = []

    def __call__(self, environ, start_response):
        self.asked.append(environ["PATH_INFO"])
        return self.django(environ, start_response)


@pytest.fixture
def synthetic(empty_timeline):
    generate(measures=80, seed=5)


@pytest.fixture
def stacks():
    """(direct, django, the application behind the direct reads): built from the settings as
    the test has set them."""
    behind = Recording()
    return wsgi_client(DirectReads(behind)), wsgi_client(WSGIHandler()), behind


def keys_of(count: int, *, step: int = 37) -> list[str]:
    return list(Measure.objects.order_by("key").values_list("key", flat=True)[::step][:count])


def questions() -> list[str]:
    materials = ["rare-earth-elements", "dysprosium", "gallium", "processed-materials"]
    asked = [f"/api/v1/measures/{key}/" for key in keys_of(6)]
    for material in materials:
        for day in ["1999-03-01", "2024-02-29", "2031-12-31"]:
            asked.append(f"/api/v1/measures/?material={material}&in_force_on={day}")
        asked.append(f"/api/v1/measures/?in_force_on=2024-02-29&material={material}&page_size=7")
        asked.append(
            f"/api/v1/measures/?material={material}&in_force_on=2024-02-29&page=2&page_size=3"
        )
        asked.append(f"/api/v1/materials/{material}/timeline/")
        asked.append(f"/api/v1/materials/{material}/timeline/?page=3&page_size=4")
    asked += [
        "/api/v1/events/",
        "/api/v1/events/?date_after=2010-01-01&date_before=2011-06-30",
        "/api/v1/events/?date_before=2010-01-01&date_after=2009-01-01&page_size=9&page=2",
        "/api/v1/events/?date_after=2024-01-01",
        "/api/v1/events/?date_before=2001-01-01&page_size=500",
        "/api/v1/events/?date_after=2030-01-01&date_before=2020-01-01",
    ]
    return asked


def same_but_tokens(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers, a new CSRF cookie's random value left out."""
    return [(name, "" if name == "Set-Cookie" else value) for name, value in headers]


def assert_same(direct, django, path: str, **headers: str):
    ours, theirs = direct(path, **headers), django(path, **headers)
    assert ours.status == theirs.status, path
    if ours.headers["Content-Type"] != "text/html; charset=utf-8":  # a page holds a CSRF token
        assert ours.content == theirs.content, path
    assert same_but_tokens(ours.header_list) == same_but_tokens(theirs.header_list), path
    return ours


def test_every_direct_answer_is_djangos_byte_for_byte(synthetic, stacks):
    direct, django, behind = stacks
    statuses = {path: assert_same(direct, django, path).status for path in questions()}
    past_the_last = [path for path, status in statuses.items() if status == 404]
    assert set(statuses.values()) == {200, 404} and len(past_the_last) < 4
    # Every answer but the 404s of pages past the last was direct.
    assert behind.asked == [path.partition("?")[0] for path in past_the_last]


def test_answers_carry_the_security_and_cors_headers_django_adds(synthetic, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example"]
    behind = Recording()
    direct, django = wsgi_client(DirectReads(behind)), wsgi_client(WSGIHandler())
    secure = {"X_Forwarded_Proto": "https", "Origin": "https://app.example"}
    for path in questions()[::5]:
        ours = assert_same(direct, django, path, **secure)
        assert ours.headers["Strict-Transport-Security"].startswith("max-age=3600")
        assert ours.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert behind.asked == []


def test_an_https_redirect_is_djangos(demo_data, settings):
    settings.SECURE_SSL_REDIRECT = True
    behind = Recording()
    direct, django = wsgi_client(DirectReads(behind)), wsgi_client(WSGIHandler())
    path = f"/api/v1/measures/{keys_of(1)[0]}/"
    counted = ("regwatch_direct_reads_total", {"operation": "measure_detail"})
    answered = REGISTRY.get_sample_value(*counted)
    assert assert_same(direct, django, path).status == 301
    assert behind.asked == [path]  # so Django's metrics count it, not the direct reads'
    assert REGISTRY.get_sample_value(*counted) == answered


ELSEWHERE = [
    ("/api/v1/measures/{key}/", {"method": "DELETE"}, 401),
    ("/api/v1/measures/{key}/", {"method": "HEAD"}, 200),
    ("/api/v1/measures/{key}/", {"Authorization": "Token not-a-token"}, 401),
    ("/api/v1/measures/{key}/", {"Cookie": "sessionid=abc"}, 200),
    ("/api/v1/measures/{key}/", {"If_None_Match": '"x"'}, 200),
    ("/api/v1/measures/{key}/", {"Accept": "text/html"}, 200),
    ("/api/v1/measures/{key}/", {"Accept": "text/csv"}, 406),
    ("/api/v1/measures/{key}/", {"Accept": ""}, 406),
    ("/api/v1/events/?date_after=2025-01-01", {"Cookie": "csrftoken=abc"}, 200),
    ("/api/v1/events/?date_after=2025-01-01", {"Cookie": "theme=dark"}, 200),
    ("/api/v1/measures/{key}/?as_known_on=1990-01-01T00:00:00Z", {}, 404),
    ("/api/v1/measures/{key}/?unknown=1", {}, 400),
    ("/api/v1/measures/no-such-measure/", {}, 404),
    ("/api/v1/measures/{key}", {}, 404),
    ("/api/v1/measures/?material=gallium", {}, 200),
    ("/api/v1/measures/?material=gallium&in_force_on=2024-02-30", {}, 400),
    ("/api/v1/measures/?material=gallium&in_force_on=2024-2-3", {}, 400),
    ("/api/v1/measures/?material=no-such&in_force_on=2024-02-01", {}, 400),
    ("/api/v1/measures/?material=gallium,dysprosium&in_force_on=2024-02-01", {}, 200),
    ("/api/v1/measures/?material=gallium&material=dysprosium&in_force_on=2024-02-01", {}, 200),
    ("/api/v1/measures/?material=gallium&in_force_on=2024-02-01&page=99", {}, 404),
    ("/api/v1/measures/?material=gallium&in_force_on=2024-02-01&page_size=0", {}, 400),
    ("/api/v1/measures/?material=gallium&in_force_on=2024-02-01&page_size=501", {}, 400),
    ("/api/v1/measures/?material=gallium&in_force_on=2024-02-01&format=csv", {}, 200),
    ("/api/v1/measures/?material=gallium&in_force_on=2024-02-01&ordering=key", {}, 200),
    ("/api/v1/measures/?material=%67allium&in_force_on=2024-02-01", {}, 200),
    ("/api/v1/materials/no-such/timeline/", {}, 404),
    ("/api/v1/materials/gallium/timeline/?type=suspended", {}, 200),
    ("/api/v1/materials/gallium/timeline/?page=", {}, 400),
    ("/api/v1/events/?date_after=", {}, 400),
    ("/api/v1/events/?date_after=2020-01-01&date_after=2021-01-01", {}, 400),
    ("/api/v1/events/?date_after=2020-13-01", {}, 400),
    ("/api/v1/events/?page=0", {}, 400),
    ("/api/v1/events/?page=999", {}, 404),
]


# What a stored body's slots look like, quoted in a measure's text: a body is filled in at its
# slots, never at a quotation of them.
SLOTS = '"url":null,"status":null,"status_confirmed":null,"status_certain":null,"created_at":null,"updated_at":null}'


def test_stored_bodies_quoting_their_slots_or_out_of_date_are_djangos_bytes(
    demo_data, stacks, editor_client
):
    direct, django, behind = stacks
    rare_earths = "/api/v1/measures/?material=rare-earth-elements&in_force_on=2026-01-01"
    listed = [row["key"] for row in django(rare_earths).json()["results"]]
    quoted, stale = listed[0], listed[1]
    fields = {"title": SLOTS, "reference": SLOTS, "summary": f"{SLOTS} \\ {SLOTS}"}
    assert (
        editor_client.patch(f"/api/v1/measures/{quoted}/", fields, format="json").status_code == 200
    )
    Measure.objects.filter(key=stale).update(
        title="Retitled behind the stored body", updated_at=datetime.datetime.now(datetime.UTC)
    )
    for path in (rare_earths, f"/api/v1/measures/{quoted}/", f"/api/v1/measures/{stale}/"):
        assert_same(direct, django, path)
    shown = {row["key"]: row for row in direct(rare_earths).json()["results"]}
    assert shown[quoted]["title"] == SLOTS and shown[quoted]["url"].endswith(f"/{quoted}/")
    assert shown[stale]["title"] == "Retitled behind the stored body"
    assert behind.asked == []


def test_events_dated_by_month_or_year_are_djangos_bytes(demo_data, stacks):
    from timeline.importers import load

    imprecise = {
        "key": "cn-2026-imprecise",
        "title": "A control whose sources give only the month or the year",
        "jurisdiction": "CN",
        "measure_type": "export_licence_requirement",
        "announced_on": "2026",
        "effective_on": "2026-03",
        "materials": [{"name": "Gallium", "symbol": "Ga", "scope": "metal"}],
        "events": [
            {"date": "2026-09", "type": "suspended", "note": "Reported in September."},
            {"date": "2027", "type": "reinstated", "note": "Reported in 2027."},
        ],
    }
    load([{"measures": [imprecise]}])
    direct, django, behind = stacks
    for path in (
        "/api/v1/events/?date_after=2026-01-01&date_before=2027-12-31",
        "/api/v1/materials/gallium/timeline/",
    ):
        dates = {row["date"] for row in assert_same(direct, django, path).json()["results"]}
        assert {"2026", "2026-03", "2026-09", "2027"} <= dates, path
    assert behind.asked == []


def test_anything_else_is_answered_by_django(synthetic, stacks):
    direct, django, behind = stacks
    key = keys_of(1)[0]
    for path, headers, status in ELSEWHERE:  # one dataset for all: generating it is the cost
        path = path.format(key=key)
        behind.asked.clear()
        ours = assert_same(direct, django, path, **headers)
        assert ours.status == status, (path, headers)
        assert behind.asked, f"Django was not asked {path} {headers}"


def test_a_malformed_csrf_cookie_is_renewed_as_django_does(demo_data, stacks):
    direct, django, behind = stacks
    ours = assert_same(direct, django, "/api/v1/events/", Cookie="csrftoken=abc")
    assert ours.headers["Set-Cookie"].strip().startswith("csrftoken=") and behind.asked


def test_addresses_carry_this_requests_script_prefix_not_an_earlier_ones(synthetic, stacks):
    direct, django, behind = stacks
    key = keys_of(1)[0]
    asked = [f"/api/v1/measures/{key}/", "/api/v1/materials/gallium/timeline/",
             "/api/v1/measures/?material=gallium&in_force_on=2024-02-29"]  # fmt: skip
    for path in asked:
        set_script_prefix("/earlier/")  # what a request under another prefix left on the thread
        assert b"/earlier/" not in assert_same(direct, django, path).content
    assert behind.asked == []


def test_a_forced_script_name_prefixes_direct_addresses_as_djangos(synthetic, stacks, settings):
    settings.FORCE_SCRIPT_NAME = "/regwatch"
    direct, django, behind = stacks
    ours = assert_same(direct, django, f"/api/v1/measures/{keys_of(1)[0]}/")
    assert ours.json()["url"].startswith("http://testserver/regwatch/api/v1/measures/")
    assert behind.asked == []


def test_a_host_django_refuses_is_refused_as_django_does(demo_data, stacks):
    direct, django, behind = stacks
    path = f"/api/v1/measures/{keys_of(1)[0]}/"
    ours = assert_same(direct, django, path, Host="evil.example")
    assert ours.status == 400 and behind.asked


def test_a_fault_in_a_direct_read_gets_djangos_answer(demo_data, stacks, monkeypatch, caplog):
    direct, django, behind = stacks

    def broken(*args):
        raise RuntimeError("broken")

    monkeypatch.setattr(page_rows, "events_in_range", broken)
    assert assert_same(direct, django, "/api/v1/events/?page_size=3").status == 200
    assert behind.asked == ["/api/v1/events/"]
    assert "direct read of /api/v1/events/ failed" in caplog.text


def test_direct_reads_are_off_when_a_middleware_they_do_not_know_is_installed(settings):
    def django(environ, start_response):
        raise AssertionError("not called")

    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.unknown.Middleware"]
    assert not DirectReads(django).enabled
    settings.MIDDLEWARE = settings.MIDDLEWARE[:-1]
    assert DirectReads(django).enabled
    settings.REGWATCH_DIRECT_READS = False
    assert not DirectReads(django).enabled


class HeaderAuthentication(BaseAuthentication):
    """Credentials in a header of its own (none here: the client stays anonymous)."""

    def authenticate(self, request):
        return None


def test_a_view_reading_other_credentials_is_left_to_django(demo_data, stacks, monkeypatch):
    direct, _, behind = stacks
    authenticators = views.EventFeedView.authentication_classes
    monkeypatch.setattr(
        views.EventFeedView, "authentication_classes", [*authenticators, HeaderAuthentication]
    )
    assert direct("/api/v1/events/").status == 200
    assert behind.asked == ["/api/v1/events/"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/measures/{key}/", 200),
        ("/api/v1/measures/no-such-measure/", 404),  # left to Django after counting
        ("/api/v1/measures/?material=no-such&in_force_on=2025-06-01", 400),
        ("/api/v1/events/?date_after=2020-01-01&page=999", 404),
        ("/api/v1/events/?date_after=2025-02-30", 400),  # left to Django before counting
        ("/api/v1/events/?page_size=501", 400),
    ],
)
def test_rate_limits_count_every_request_once(demo_data, settings, path, status):
    settings.REGWATCH_THROTTLE_ANON = "3/minute"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"direct-reads-throttle-{path}"}}  # fmt: skip
    get = wsgi_client(DirectReads(Recording()))
    path = path.format(key=keys_of(1)[0])
    assert [get(path).status for _ in range(3)] == [status] * 3
    refused = get(path)
    assert refused.status == 429
    assert refused.json()["errors"][0]["code"] == "throttled"


def test_what_django_answers_instead_is_not_logged_as_a_fault(demo_data, stacks, caplog):
    direct, _, behind = stacks
    for path in ["/api/v1/events/?page_size=501", "/api/v1/events/?page=999",
                 "/api/v1/materials/no-such/timeline/"]:  # fmt: skip
        assert direct(path).status in (400, 404)
    assert direct("/api/v1/events/", Host="evil.example").status == 400
    assert len(behind.asked) == 4
    assert "direct read" not in caplog.text
    assert "During handling of the above exception" not in caplog.text


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/measures/?material=rare-earth-elements&in_force_on=2024-02-29&page_size={n}",
        "/api/v1/materials/rare-earth-elements/timeline/?page_size={n}",
        "/api/v1/events/?date_after=2000-01-01&page_size={n}",
        "/api/v1/measures/{key}/",
    ],
)
def test_statements_do_not_grow_with_the_page(demo_data, stacks, path):
    direct, _, behind = stacks
    counts, key = [], keys_of(1)[0]
    for n in (1, 50, 500):
        with CaptureQueriesContext(connection) as queries:
            assert direct(path.format(n=n, key=key)).status == 200
        counts.append(len(queries))
    assert behind.asked == []
    assert counts[0] == counts[1] == counts[2] <= 4


def test_the_routes_are_djangos_addresses_for_these_views():
    expected = {
        "measure_detail": ("/api/v1/measures/x-1/", views.MeasureViewSet),
        "measures_in_force": ("/api/v1/measures/", views.MeasureViewSet),
        "material_timeline": ("/api/v1/materials/x-1/timeline/", views.MaterialTimelineView),
        "events_range": ("/api/v1/events/", views.EventFeedView),
    }
    assert {route.operation for route in direct_reads.ROUTES} == expected.keys()
    for route in direct_reads.ROUTES:
        path, view = expected[route.operation]
        assert route.path.fullmatch(path)
        assert resolve(path).func.cls is view is route.view


@pytest.mark.django_db
def test_an_event_page_is_read_off_one_index_on_sqlite(demo_data):
    """Every column an event page shows is in the SQLite index for the feed's order, so no
    event's row is visited (timeline migration 0027)."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL reads each event's row: a note is too long for its index")
    with CaptureQueriesContext(connection) as queries:
        page_rows.events_in_range(datetime.date(2020, 1, 1), datetime.date(2025, 1, 1), 0, 50)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + queries[-1]["sql"])
        plan = [row[-1] for row in cursor.fetchall()]
    assert any("USING COVERING INDEX event_page_sqlite_idx" in step for step in plan), plan
