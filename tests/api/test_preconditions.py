"""The preconditions of RFC 9110 section 13 beyond ETags: If-Modified-Since on reads,
If-Unmodified-Since and If-None-Match on writes, evaluated in section 13.2.2's order."""

import pytest
from django.utils.http import http_date

from timeline.models import Measure

URL = "/api/v1/measures/cn-mofcom-2025-62/"
PAST = "Mon, 01 Jan 2001 00:00:00 GMT"
FUTURE = "Fri, 01 Jan 2100 00:00:00 GMT"


def last_modified() -> str:
    return http_date(Measure.objects.get(key="cn-mofcom-2025-62").updated_at.timestamp())


@pytest.mark.parametrize(
    ("since", "expected"), [(PAST, 200), (FUTURE, 304), ("current", 304), ("not a date", 200)]
)
def test_if_modified_since_answers_304_while_unchanged(client, demo_data, since, expected):
    since = last_modified() if since == "current" else since
    response = client.get(URL, HTTP_IF_MODIFIED_SINCE=since)
    assert response.status_code == expected


def test_if_none_match_wins_over_if_modified_since(client, demo_data):
    response = client.get(URL, HTTP_IF_NONE_MATCH='"stale"', HTTP_IF_MODIFIED_SINCE=FUTURE)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"HTTP_IF_UNMODIFIED_SINCE": PAST}, 412),
        ({"HTTP_IF_UNMODIFIED_SINCE": FUTURE}, 200),
        ({"HTTP_IF_UNMODIFIED_SINCE": "not a date"}, 200),
        ({"HTTP_IF_NONE_MATCH": "*"}, 412),
        ({"HTTP_IF_NONE_MATCH": "current"}, 412),
        ({"HTTP_IF_NONE_MATCH": '"some-other-version"'}, 200),
        ({"HTTP_IF_MATCH": "current", "HTTP_IF_UNMODIFIED_SINCE": PAST}, 200),  # If-Match wins
    ],
)
def test_write_preconditions(client, editor_client, demo_data, headers, expected):
    etag = client.get(URL)["ETag"]
    headers = {name: etag if value == "current" else value for name, value in headers.items()}
    before = Measure.objects.get(key="cn-mofcom-2025-62").notes
    response = editor_client.patch(URL, {"notes": "Checked."}, format="json", **headers)
    assert response.status_code == expected, response.content
    changed = Measure.objects.get(key="cn-mofcom-2025-62").notes != before
    assert changed == (expected == 200)


def test_if_unmodified_since_the_current_last_modified_lets_the_write_through(
    client, editor_client, demo_data
):
    response = editor_client.patch(
        URL, {"notes": "Checked."}, format="json", HTTP_IF_UNMODIFIED_SINCE=last_modified()
    )
    assert response.status_code == 200


def test_last_modified_is_no_earlier_than_today_as_the_status_is_for_today(client, demo_data):
    """A measure last changed yesterday may show another status today: a client holding
    yesterday's copy must not be told, by date, that it is current."""
    import datetime

    from django.utils import timezone

    yesterday = timezone.now() - datetime.timedelta(days=1)
    Measure.objects.filter(key="cn-mofcom-2025-62").update(updated_at=yesterday)
    start_of_today = timezone.make_aware(
        datetime.datetime.combine(timezone.localdate(), datetime.time())
    )
    response = client.get(URL)
    assert response["Last-Modified"] == http_date(start_of_today.timestamp())
    held = http_date(yesterday.timestamp())
    assert client.get(URL, HTTP_IF_MODIFIED_SINCE=held).status_code == 200
    assert client.get(URL, HTTP_IF_MODIFIED_SINCE=response["Last-Modified"]).status_code == 304


def test_last_modified_moves_to_the_next_day_at_midnight_in_the_site_time_zone(
    client, demo_data, monkeypatch
):
    """The start of today is kept between requests: it must still move at midnight, and be
    midnight in whichever time zone is active."""
    import datetime

    from django.utils import timezone

    from api.conditional import statuses_moved_at

    long_ago = datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC)
    Measure.objects.filter(key="cn-mofcom-2025-62").update(updated_at=long_ago)
    before_midnight = datetime.datetime(2031, 5, 6, 23, 59, 59, tzinfo=datetime.UTC)
    for now, day in [(before_midnight, 6), (before_midnight + datetime.timedelta(seconds=1), 7)]:
        monkeypatch.setattr(timezone, "now", lambda now=now: now)
        midnight = datetime.datetime(2031, 5, day, tzinfo=datetime.UTC)
        assert statuses_moved_at() == midnight
        assert client.get(URL)["Last-Modified"] == http_date(midnight.timestamp())
    with timezone.override("Asia/Tokyo"):  # 2031-05-07 09:00 there
        assert statuses_moved_at() == datetime.datetime(2031, 5, 6, 15, tzinfo=datetime.UTC)
