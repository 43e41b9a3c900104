"""The front page: what RegWatch is, the questions it answers as live links, the latest
changes, and the way to the docs, the admin, feeds and exports."""

import re
from html import unescape

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from pages.questions import QUESTIONS


def links(html: str) -> list[str]:
    return [unescape(href) for href in re.findall(r'href="([^"]+)"', html)]


@pytest.mark.parametrize("address", ["/", "/api/"])
def test_the_front_page_says_what_regwatch_is_and_leads_to_docs_admin_feeds_and_exports(
    demo_data, address
):
    response = Client().get(address)
    html = response.content.decode()
    assert response.status_code == 200
    assert "timeline of government controls on critical materials" in html
    hrefs = links(html)
    for wanted in ("/api/docs/", "/api/redoc/", "/admin/", "/api/v1/events/?ordering=-date"):
        assert wanted in hrefs
    assert "export_timeline" in html


def test_every_question_offered_answers_with_measures_in_the_picture_and_the_api(demo_data):
    client = Client()
    html = client.get("/").content.decode()
    questions = [question for question in QUESTIONS if question.text in html]
    assert len(questions) == len(QUESTIONS)
    for question in questions:
        assert question.api_url().replace("&", "&amp;") in html
        answer = client.get(question.api_url(), HTTP_ACCEPT="application/json").json()
        assert answer["count"] > 0, question.text
        if question.picture_url():
            picture = client.get(question.picture_url())
            assert picture.status_code == 200, question.text
            assert 'class="chart-row"' in picture.content.decode(), question.text


def test_the_latest_events_come_newest_first_and_none_from_the_future(demo_data):
    html = Client().get("/").content.decode()
    latest = html.split('id="latest"')[1].split("</section>")[0]
    days = re.findall(r'<time datetime="(\d{4}-\d{2}-\d{2})"', latest)
    assert days and days == sorted(days, reverse=True)
    from django.utils import timezone

    assert max(days) <= timezone.localdate().isoformat()


def test_an_empty_timeline_says_how_to_load_data_instead_of_offering_dead_questions(
    empty_timeline,
):
    html = Client().get("/").content.decode()
    assert "load_timeline" in html
    assert "Which Chinese controls cover dysprosium?" not in html


def test_the_front_page_runs_a_fixed_number_of_queries(demo_data, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        Client().get("/")


def test_browsers_asking_for_a_favicon_are_sent_to_one_among_the_static_files(db):
    response = Client().get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/pages/favicon.svg"
    assert finders.find("pages/favicon.svg")


def test_every_feed_and_export_the_front_page_offers_answers_in_its_format(demo_data):
    client = Client()
    hrefs = [href for href in links(client.get("/").content.decode()) if "format=" in href]
    assert {re.search(r"format=(\w+)", href)[1] for href in hrefs} >= {
        "atom", "csv", "xlsx", "ndjson", "ics",
    }  # fmt: skip
    for href in hrefs:
        response = client.get(href)
        assert response.status_code == 200, href
        assert response["Content-Type"].split(";")[0] != "application/json", href
