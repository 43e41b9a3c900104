"""The browsable API, as a person reads it: indented bodies, a filter form labelled with the
parameters, and PUT/PATCH forms that start from the current values."""

import json
import re
from html import unescape

import pytest
from django.contrib.auth.models import User
from django.test import Client


@pytest.fixture
def browser(db) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("analyst"))
    return client


def test_bodies_are_indented_in_the_browsable_api(demo_data):
    html = Client().get("/api/v1/measures/cn-mofcom-2025-62/", HTTP_ACCEPT="text/html")
    body = unescape(html.content.decode())
    assert '\n  "key": "cn-mofcom-2025-62",\n' in re.sub(r"<[^>]+>", "", body)


def test_json_answers_to_clients_stay_compact(demo_data):
    raw = Client().get("/api/v1/measures/cn-mofcom-2025-62/", HTTP_ACCEPT="application/json")
    assert raw.content.startswith(b'{"key":"cn-mofcom-2025-62","url":')


@pytest.mark.parametrize("query", ["", "?material=dysprosium"])
def test_the_filter_form_labels_every_field_with_its_parameter_and_help_text(demo_data, query):
    # A request's filters are cleaned with only the fields it names; the form shows them all.
    html = Client().get(f"/api/v1/measures/{query}", HTTP_ACCEPT="text/html").content.decode()
    form = html.split('id="filtersModal"')[1].split("</form>")[0]
    assert "[invalid name]" not in form
    labels = re.findall(r'<label for="id_([a-z_]+)">([^<]+)</label>', form)
    assert labels and all(label == f"{name}:" for name, label in labels)
    names = {name for name, _ in labels}
    assert {"material", "status", "as_of", "in_force_on", "q", "ordering"} <= names
    assert "Matches measures that list it" in form  # the material parameter's help text
    assert "data-drop-empty" in form  # empty fields are left out of the query


def test_the_put_form_of_a_signed_in_editor_holds_the_measures_current_values(browser):
    html = browser.get("/api/v1/measures/cn-mofcom-2025-62/", HTTP_ACCEPT="text/html")
    raw = html.content.decode().split('id="id__content"')[1].split("</textarea>")[0]
    content = json.loads(unescape(raw.split(">", 1)[1]))
    assert content["key"] == "cn-mofcom-2025-62"
    assert content["title"].startswith("Export controls on rare-earth technologies")
    assert [m["material"] for m in content["materials"]] == ["rare-earth-processing-technology"]


def test_the_current_values_put_back_change_nothing(browser):
    url = "/api/v1/measures/cn-mofcom-2025-62/"
    before = browser.get(url, HTTP_ACCEPT="application/json").json()
    html = browser.get(url, HTTP_ACCEPT="text/html").content.decode()
    raw = unescape(html.split('id="id__content"')[1].split("</textarea>")[0].split(">", 1)[1])
    response = browser.put(
        url, raw, content_type="application/json", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    assert response.json()["updated_at"] == before["updated_at"]
