"""The admin as analysts use it: a readable measures list, status on a chosen day, materials
as a tree, a material's measures, versions, differences, reverts and change reasons."""

import re

import pytest
from django.db.models import Q
from django.urls import reverse

from tests.admin_forms import admin_change
from timeline.changes import touch_measures
from timeline.models import Authority, Jurisdiction, Material, Measure, MeasureEvent

CHANGELIST = "/admin/timeline/measure/"
DYSPROSIUM = {
    "cn-mofcom-gac-2025-18",
    "eu-2024-1252-crma",
    "cn-mofcom-2025-61",
    "cn-mofcom-gac-2025-70",
    "us-bis-232-critical-minerals-2025",
}


@pytest.fixture
def analyst(admin_client, demo_data):
    return admin_client


def listed_keys(page: str) -> list[str]:
    return re.findall(r'class="measure-key">([^<]+)<', page)


def test_measures_list_shows_key_and_title_together_with_the_dates(analyst):
    page = analyst.get(CHANGELIST, {"q": "1E902"}).content.decode()
    columns = re.findall(r'<th scope="col" class="[^"]*column-([a-z_]+)', page)
    assert columns == [
        "measure", "jurisdiction_code", "measure_type", "announced", "effective", "ends",
        "status_today",
    ]  # fmt: skip
    row = re.search(r'<tr>.*?class="measure-key">cn-mofcom-2025-62<.*?</tr>', page, re.S).group(0)
    measure = Measure.objects.get(key="cn-mofcom-2025-62")
    assert f'class="measure-title">{measure.title}<' in row
    assert measure.effective_on.isoformat() in row


@pytest.mark.parametrize("day", ["2025-06-01", "2025-11-08", "2027-01-01"])
def test_status_filter_answers_for_the_chosen_day_as_the_api_does(analyst, client, day):
    api = client.get("/api/v1/measures/", {"status": "in_force", "as_of": day, "page_size": 100})
    expected = {m["key"] for m in api.json()["results"]}
    page = analyst.get(CHANGELIST, {"status": "in_force", "status_on": day, "all": ""})
    assert set(listed_keys(page.content.decode())) == expected
    assert f"status on {day}" in page.content.decode()


def test_status_filter_keeps_the_day_when_another_status_is_chosen(analyst):
    page = analyst.get(CHANGELIST, {"status": "in_force", "status_on": "2025-06-01"}).content
    assert "status=suspended&amp;status_on=2025-06-01" in page.decode()


def test_status_filter_on_a_day_that_is_no_day_says_so_and_uses_today(analyst):
    response = analyst.get(CHANGELIST, {"status": "in_force", "status_on": "2025-13-45"})
    assert response.status_code == 200
    assert "is not a day: give YYYY-MM-DD" in response.content.decode()


def test_material_filter_lists_groups_with_their_members_indented(analyst):
    page = analyst.get(CHANGELIST).content.decode()
    entries = re.findall(r'\?material=([-a-z0-9]+)">((?:&nbsp;|\xa0)*)(?:└ )?[^<]+<', page)
    depth = {slug: len(indent.replace("&nbsp;", "\xa0")) // 4 for slug, indent in entries}
    order = [slug for slug, _ in entries]
    assert depth["rare-earth-supply-chain"] == 0
    assert depth["rare-earth-elements"] == 1
    assert depth["medium-and-heavy-rare-earth-elements"] == 2
    assert depth["dysprosium"] == 3
    assert (
        order.index("rare-earth-supply-chain")
        < order.index("rare-earth-elements")
        < order.index("medium-and-heavy-rare-earth-elements")
        < order.index("dysprosium")
    )


def test_a_material_page_lists_the_measures_affecting_it_with_their_status(analyst):
    dysprosium = Material.objects.get(slug="dysprosium")
    page = analyst.get(reverse("admin:timeline_material_change", args=[dysprosium.pk]))
    body = page.content.decode()
    table = body[body.index('class="measures-affecting"') :]
    assert set(re.findall(r'/change/">([-a-z0-9]+)</a>', table)) == DYSPROSIUM
    assert "In force" in table or "Ended" in table
    assert "/timeline/?material=dysprosium" in body


def version_url(measure, version) -> str:
    return reverse("admin:timeline_measure_simple_history", args=[measure.pk, version.history_id])


def test_a_version_page_shows_that_versions_nested_parts(analyst):
    measure = Measure.objects.get(key="cn-mofcom-gac-2023-23")
    old = measure.history.first()
    admin_change(analyst, measure, **{"material_links-0-scope": "ingots only"})
    body = analyst.get(version_url(measure, old)).content.decode()
    assert "metal, nitride, oxide" in body and "ingots only" not in body
    for heading in ("Materials", "Events", "Sources", "Relations to other measures"):
        assert f"<h2>{heading}</h2>" in body
    assert "China Slaps Export Restrictions on Two Critical Metals" in body
    assert 'name="change_reason"' in body  # the revert form


def test_two_versions_compare_field_by_field(analyst):
    measure = Measure.objects.get(key="cn-mofcom-gac-2023-23")
    old = measure.history.first()
    admin_change(analyst, measure, title="Gallium and germanium controls")
    new = measure.history.first()
    url = reverse("admin:timeline_measure_history_compare", args=[measure.pk])
    body = analyst.get(url, {"older": old.history_id, "newer": new.history_id}).content.decode()
    assert "Export controls on gallium and germanium items" in body
    assert "Gallium and germanium controls" in body
    assert '<th scope="row">Title</th>' in body
    assert '<th scope="row">Summary</th>' not in body


def test_reverting_from_the_admin_restores_nested_parts_with_a_reason(analyst):
    measure = Measure.objects.get(key="cn-mofcom-2025-62")
    old = measure.history.first()
    scopes = list(measure.material_links.values_list("scope", flat=True))
    admin_change(analyst, measure, **{"material_links-0-scope": "nothing"})
    response = analyst.post(version_url(measure, old), {"change_reason": "scope was right"})
    assert response.status_code == 302
    assert list(measure.material_links.values_list("scope", flat=True)) == scopes
    assert measure.history.first().history_change_reason == "scope was right"


def test_a_user_who_may_only_view_cannot_revert(demo_data, client, django_user_model):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_measure"))
    client.force_login(viewer)
    measure = Measure.objects.get(key="cn-mofcom-2025-62")
    url = version_url(measure, measure.history.first())
    assert 'name="change_reason"' not in client.get(url).content.decode()
    assert client.post(url, {"change_reason": "x"}).status_code == 403


@pytest.mark.parametrize(
    ("model", "slug_field", "slug", "change"),
    [
        (Measure, "key", "cn-mofcom-2025-62", {"title": "Rare-earth technology controls"}),
        (Material, "slug", "gallium", {"cas_number": "7440-55-3"}),
        (Authority, "slug", "mofcom", {"website": "https://english.mofcom.gov.cn/"}),
        (Jurisdiction, "code", "CN", {"name": "China (PRC)"}),
    ],
)
def test_every_admin_save_records_its_change_reason(analyst, model, slug_field, slug, change):
    instance = model.objects.get(**{slug_field: slug})
    response = admin_change(analyst, instance, change_reason="per the official text", **change)
    assert response.status_code == 302
    assert instance.history.first().history_change_reason == "per the official text"


def test_dates_are_shown_and_entered_as_iso(analyst):
    measure = Measure.objects.get(key="cn-mofcom-2025-62")
    page = analyst.get(reverse("admin:timeline_measure_change", args=[measure.pk]))
    assert (
        f'name="effective_on" value="{measure.effective_on.isoformat()}"' in page.content.decode()
    )
    response = admin_change(analyst, measure, announced_on="2025-10-08")
    assert response.status_code == 302
    refused = admin_change(analyst, measure, announced_on="08/10/2025")
    assert refused.status_code == 200 and "Enter a valid date" in refused.content.decode()
    history = analyst.get(reverse("admin:timeline_measure_history", args=[measure.pk]))
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", history.content.decode())


def test_an_event_note_is_one_line_unless_long(analyst):
    measure = Measure.objects.get(key="cn-mofcom-2025-62")
    event = MeasureEvent.objects.filter(measure=measure, derived=False).first()
    event.note = "Short."
    event.save()
    touch_measures(Q(pk=measure.pk))  # as every write of what a measure shows does
    page = analyst.get(reverse("admin:timeline_measure_change", args=[measure.pk])).content.decode()
    assert re.search(r'<textarea name="events-0-note" cols="60" rows="1"', page)
    event.note = "A long note. " * 10
    event.save()
    touch_measures(Q(pk=measure.pk))
    page = analyst.get(reverse("admin:timeline_measure_change", args=[measure.pk])).content.decode()
    assert re.search(r'<textarea name="events-0-note" cols="60" rows="3"', page)


def test_the_relations_inline_reads_right(analyst):
    measure = Measure.objects.get(key="cn-mofcom-2025-62")
    page = analyst.get(reverse("admin:timeline_measure_change", args=[measure.pk])).content.decode()
    assert "Relations to other measures" in page
    assert "another measures" not in page


def test_measures_list_shows_a_date_known_to_the_month_as_the_month(analyst, make_measure):
    import datetime

    make_measure(
        key="month-only",
        title="Known to the month",
        effective_on=datetime.date(2026, 2, 1),
        effective_on_precision="month",
    )
    page = analyst.get(CHANGELIST, {"q": "month-only"}).content.decode()
    row = re.search(r'<tr>.*?class="measure-key">month-only<.*?</tr>', page, re.S).group(0)
    assert ">2026-02<" in row and "2026-02-01" not in row
