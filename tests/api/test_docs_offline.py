"""The docs work on a closed network: Swagger UI and Redoc come from pinned local assets, and
neither page names another host."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client


@pytest.mark.parametrize("address", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_load_everything_from_this_server(db, address):
    html = Client().get(address).content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    for asset in assets:
        assert asset.startswith("/"), asset
        if asset.startswith("/static/"):
            assert finders.find(asset.removeprefix("/static/")), asset
    assert "fonts.googleapis.com" not in html and "cdn." not in html


def test_swagger_ui_sends_the_schema_to_no_validator(db):
    html = Client().get("/api/docs/").content.decode()
    assert '"validatorUrl": null' in html
