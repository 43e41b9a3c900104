"""A representation that is not offered is 406 Not Acceptable, listing what is, whether asked
for with ?format= or with Accept (RFC 9110 section 15.5.7)."""

import pytest
from rest_framework.renderers import BaseRenderer
from rest_framework.settings import api_settings

from api.views import SectorViewSet

URLS = [
    "/api/v1/measures/cn-mofcom-2025-62/",
    "/api/v1/measures/",
    "/api/v1/materials/gallium/timeline/",
    "/api/v1/sectors/defence/",
]
OFFERED = [(r.format, r.media_type) for r in api_settings.DEFAULT_RENDERER_CLASSES]


def only_error(response) -> dict:
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["type"] == "client_error"
    (error,) = body["errors"]
    assert error["code"] == "not_acceptable"
    return error


@pytest.mark.parametrize("url", URLS)
def test_format_not_offered_is_406_naming_the_parameter_and_the_offered_formats(
    client, demo_data, url
):
    response = client.get(url, {"format": "yaml"})
    assert response.status_code == 406
    error = only_error(response)
    assert error["attr"] == "format"
    assert "'yaml'" in error["detail"]
    for format_, media_type in OFFERED:
        assert f"{format_} ({media_type})" in error["detail"]


@pytest.mark.parametrize("url", URLS)
def test_accept_header_nothing_offered_matches_is_406_listing_the_media_types(
    client, demo_data, url
):
    response = client.get(url, HTTP_ACCEPT="application/yaml, application/xml;q=0.5")
    assert response.status_code == 406
    error = only_error(response)
    assert "Accept" in error["detail"]
    for _, media_type in OFFERED:
        assert media_type in error["detail"]


def test_accept_that_contradicts_the_format_is_406_offering_that_format(client, demo_data):
    response = client.get(URLS[0], {"format": "json"}, HTTP_ACCEPT="text/html")
    assert response.status_code == 406
    assert "json (application/json)" in only_error(response)["detail"]
    assert "text/html" not in only_error(response)["detail"]


@pytest.mark.parametrize(
    ("query", "accept", "media_type"),
    [
        ({}, None, "application/json"),
        ({}, "*/*", "application/json"),
        ({}, "application/json", "application/json"),
        ({}, "application/xml, application/json;q=0.5", "application/json"),
        ({"format": "json"}, None, "application/json"),
        ({"format": "api"}, None, "text/html"),
        ({}, "text/html", "text/html"),
    ],
)
def test_offered_representations_are_served(client, demo_data, query, accept, media_type):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = client.get(URLS[0], query, **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(media_type)


class PlainTextRenderer(BaseRenderer):
    media_type = "text/plain"
    format = "txt"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return str(data).encode()


def test_a_renderer_added_to_a_view_is_offered_and_listed(client, demo_data, monkeypatch):
    monkeypatch.setattr(
        SectorViewSet, "renderer_classes", [*SectorViewSet.renderer_classes, PlainTextRenderer]
    )
    assert client.get(URLS[3], {"format": "txt"}).status_code == 200
    response = client.get(URLS[3], {"format": "csv"})
    assert response.status_code == 406
    assert "txt (text/plain)" in only_error(response)["detail"]
