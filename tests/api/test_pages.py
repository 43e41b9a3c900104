"""The list pages are built from plain rows for speed; they must say exactly what the
serializers say."""

from rest_framework.test import APIRequestFactory

from api.querysets import event_queryset
from api.serializers import TimelineEventSerializer
from tests.api.conftest import results


def test_every_measure_in_the_list_equals_its_detail(client, editor_client, demo_data):
    editor_client.patch(
        "/api/v1/measures/cn-mofcom-2025-62/",
        {"events": [{"date": "2025-10-09", "type": "note", "source_url": "https://example.org/x"}]},
        format="json",
    )
    listed = results(client.get("/api/v1/measures/", {"page_size": 500}))
    assert len(listed) == 19
    for measure in listed:
        assert measure == client.get(f"/api/v1/measures/{measure['key']}/").json()


def test_event_feed_equals_the_serializer(client, demo_data):
    listed = results(client.get("/api/v1/events/", {"page_size": 500}))
    request = APIRequestFactory().get("/api/v1/events/")
    expected = TimelineEventSerializer(
        event_queryset(), many=True, context={"request": request}
    ).data
    assert listed == [dict(row) | {"measure": dict(row["measure"])} for row in expected]
