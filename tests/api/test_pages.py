"""The list pages are built from plain rows for speed; they must say exactly what the
serializers say."""

import pytest
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


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/api/v1/events/", {}),
        ("/api/v1/events/", {"date_after": "2024-01-01", "date_before": "2025-12-31"}),
        ("/api/v1/events/", {"jurisdiction": "EU"}),
        ("/api/v1/events/", {"material": "antimony", "type": "announced,effective"}),
        ("/api/v1/materials/dysprosium/timeline/", {}),
        ("/api/v1/measures/", {}),
        ("/api/v1/measures/", {"material": "rare-earth-elements", "in_force_on": "2025-06-01"}),
        ("/api/v1/measures/", {"status": "in_force", "jurisdiction": "CN"}),
    ],
)
def test_count_is_the_number_of_rows_the_pages_hold(client, demo_data, url, params):
    """Counts are taken without the rows' joins; they must still count exactly the rows."""
    body = client.get(url, {**params, "page_size": 500}).json()
    assert body["count"] == len(body["results"]) > 0
