"""The timeline pictures: the measures the API lists for the same parameters, read by the same
rules, each a bar of status periods from the status rule, with events, years and today."""

import datetime
import re
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone

from pages.charts import Scale, chart_row, period_after, written
from timeline.models import Measure


def picture(query: str = "", path: str = "/timeline/"):
    response = Client().get(f"{path}?{query}" if query else path)
    return response, response.content.decode()


def keys_drawn(html: str) -> list[str]:
    return re.findall(r'<a class="label" href="/timeline/measures/([^/]+)/"', html)


def api_keys(query: str) -> set[str]:
    body = Client().get(f"/api/v1/measures/?{query}&page_size=500", HTTP_ACCEPT="application/json")
    return {row["key"] for row in body.json()["results"]}


@pytest.mark.parametrize(
    "query",
    [
        "material=dysprosium&jurisdiction=CN",
        "material=rare-earth-elements",  # a group: its members' measures too
        "material=dysprosium",  # a member: the groups' measures too
        "status=suspended&as_of=2026-01-01",
        "jurisdiction=cn,us&target=US",
        "in_force_on=2024-01-01",
        "measure_type=export_licence_requirement&effective_after=2025-01-01",
    ],
)
def test_the_picture_draws_exactly_the_measures_the_api_lists_for_the_same_parameters(
    demo_data, query
):
    response, html = picture(query)
    assert response.status_code == 200
    drawn = keys_drawn(html)
    assert drawn and set(drawn) == api_keys(query)
    assert len(drawn) == len(set(drawn))


@pytest.mark.parametrize(
    ("query", "parameter", "reason"),
    [
        ("materail=gallium", "materail", "Did you mean `material`?"),
        ("material=dysprosum", "material", "Did you mean `dysprosium`?"),
        ("status=", "status", "is empty"),
        ("in_force_on=06/01/2025", "in_force_on", "YYYY-MM-DD"),
        ("as_of=2025-01-01&as_of=2026-01-01", "as_of", "takes one value"),
        ("from_year=25", "from_year", "YYYY"),
        ("from_year=2026&to_year=2025", "to_year", "comes before"),
        ("page=0", "page", "whole number"),
        ("as_known_on=2020-01-01T00:00:00Z", "as_known_on", "Unknown"),
        ("facets=status", "facets", "Unknown"),
    ],
)
def test_the_picture_refuses_bad_parameters_naming_each_with_the_reason(
    demo_data, query, parameter, reason
):
    response, html = picture(query)
    assert response.status_code == 400
    errors = unescape(html.split('class="errors"')[1].split("</div>")[0])
    assert f"<code>{parameter}</code>" in errors
    assert reason in errors


def test_zooming_to_a_year_shows_that_year_only_and_offers_the_others(demo_data):
    _, html = picture("material=dysprosium&from_year=2025&to_year=2025")
    axis = html.split('class="chart-row axis"')[1].split("</svg>")[0]
    assert re.findall(r">(\d{4})</text>", axis) == ["2025"]
    zoom = unescape(html.split('class="zoom"')[1].split("</nav>")[0])
    assert "/timeline/?material=dysprosium&from_year=2026&to_year=2026" in zoom
    assert 'href="/timeline/?material=dysprosium"' in zoom  # all years


def test_a_measure_suspended_before_a_scheduled_entry_into_force_reads_so_in_words(demo_data):
    _, html = picture(path="/timeline/measures/cn-mofcom-gac-2025-55/")
    text = unescape(html)
    assert "Upcoming from 2025-10-09 until 2025-11-08" in text
    assert "Suspended from 2025-11-08 until 2026-11-10" in text
    assert "In force from 2026-11-10 (rests on a scheduled event no source confirms yet)" in text
    assert 'class="seg seg-suspended"' in html
    assert 'class="scheduled"' in html  # the unconfirmed period is hatched as well
    assert 'class="mark mark-reinstated scheduled"' in html  # a planned event is hollow


def test_each_bar_links_to_its_measure_and_carries_a_text_alternative(demo_data):
    _, html = picture("jurisdiction=EU")
    row = html.split('<li class="chart-row">')[1]
    assert '<a href="/timeline/measures/eu-2024-1252-crma/"' in row
    assert 'role="img" aria-labelledby="row-1"' in row
    assert (
        '<title id="row-1">eu-2024-1252-crma: Upcoming from 2024-05-03 until 2024-05-23; '
        "In force from 2024-05-23.</title>" in row
    )


def test_today_is_a_line_when_the_years_shown_include_it_and_not_otherwise(demo_data):
    _, html = picture("jurisdiction=EU")
    chart = html.split('class="legend"')[0]
    assert chart.count('<line class="today"') == 1  # one line per bar
    _, html = picture("jurisdiction=EU&from_year=2023&to_year=2024")
    chart = html.split('class="legend"')[0]
    assert '<line class="today"' not in chart and ">today</text>" not in chart


def test_statuses_and_events_are_told_apart_by_pattern_and_shape_not_colour_alone(demo_data):
    _, html = picture("material=dysprosium")
    for status in ("upcoming", "in_force", "suspended", "ended"):
        assert f'<pattern id="fill-{status}"' in html
    legend = html.split('class="legend"')[1].split("</div>")[0]
    for words in ("Upcoming", "(dots)", "Suspended", "(cross-hatch)", "Scheduled event (hollow)"):
        assert words in legend


def test_a_page_of_the_picture_runs_a_fixed_number_of_queries(
    demo_data, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        response, _ = picture("material=rare-earth-supply-chain")
    assert response.status_code == 200


def test_an_unknown_measure_has_no_page(demo_data):
    response, _ = picture(path="/timeline/measures/no-such-measure/")
    assert response.status_code == 404


def test_an_imprecise_date_is_written_reduced_and_shaded_over_its_period(demo_data):
    measure = Measure.objects.prefetch_related("events").get(key="eu-2024-1252-crma")
    measure.effective_on = datetime.date(2024, 5, 1)
    measure.effective_on_precision = "month"
    row = chart_row(measure, Scale(2024, 2024))
    assert "In force from 2024-05" in row.periods
    assert "2024-05-01" not in row.periods
    [span] = row.spans
    assert span.text == "entry into force: 2024-05"
    may_1, june_1 = (
        Scale(2024, 2024).x(datetime.date(2024, 5, 1)),
        Scale(2024, 2024).x(datetime.date(2024, 6, 1)),
    )
    assert (span.x, round(span.x + span.width, 3)) == (may_1, june_1)


def test_the_measure_page_lists_every_event_with_scheduled_ones_marked(demo_data):
    _, html = picture(path="/timeline/measures/cn-mofcom-2024-46-art2/")
    table = html.split('class="events-table"')[1].split("</table>")[0]
    assert "2025-11-09" in table and "Suspended" in table
    assert "Reinstated <strong>(scheduled)</strong>" in table
    assert timezone.localdate().isoformat() in html  # "status today (day)"


@pytest.mark.parametrize(
    ("day", "precision", "written_as", "next_period"),
    [
        (datetime.date(2025, 3, 14), "day", "2025-03-14", datetime.date(2025, 3, 15)),
        (datetime.date(2025, 3, 1), "month", "2025-03", datetime.date(2025, 4, 1)),
        (datetime.date(2025, 12, 1), "month", "2025-12", datetime.date(2026, 1, 1)),
        (datetime.date(2025, 1, 1), "year", "2025", datetime.date(2026, 1, 1)),
    ],
)
def test_a_date_is_written_and_spans_as_its_precision_says(day, precision, written_as, next_period):
    assert written(day, precision) == written_as
    assert period_after(day, precision) == next_period


def test_a_year_precise_suspension_is_written_as_its_year(demo_data):
    measure = Measure.objects.prefetch_related("events").get(key="cn-mofcom-2024-46-art2")
    suspension = next(event for event in measure.events.all() if event.type == "suspended")
    suspension.date, suspension.date_precision = datetime.date(2025, 1, 1), "year"
    row = chart_row(measure, Scale(2024, 2026))
    assert "Suspended from 2025 until" in row.periods
    [mark] = [mark for mark in row.marks if mark.type == "suspended"]
    assert mark.text.startswith("2025: ")
    assert mark.span_width == round(Scale(2024, 2026).x(datetime.date(2026, 1, 1)) - mark.x, 3)


def test_a_measure_in_force_from_a_month_is_drawn_shaded_over_that_month_on_its_page(demo_data):
    Measure.objects.filter(key="eu-2024-1252-crma").update(
        effective_on=datetime.date(2024, 5, 1),
        effective_on_precision="month",
        updated_at=timezone.now(),  # as every write of what a measure shows does
    )
    Measure.objects.get(key="eu-2024-1252-crma").sync_derived_events()
    _, html = picture(path="/timeline/measures/eu-2024-1252-crma/")
    text = unescape(html)
    assert "Upcoming from 2024-05-03" not in text  # no day is invented
    assert "In force from 2024-05." in text
    assert '<rect class="uncertain"' in html
    assert "<title>entry into force: 2024-05</title>" in text
