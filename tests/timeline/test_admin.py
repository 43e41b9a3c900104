import datetime

import pytest
from django.urls import reverse

from timeline.models import Measure, MeasureEvent


@pytest.fixture
def admin_client_with_data(admin_client, demo_data):
    return admin_client


def test_changelist_lists_demo_measures_with_status_today(admin_client_with_data):
    response = admin_client_with_data.get(reverse("admin:timeline_measure_changelist"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "cn-mofcom-2025-62" in body
    assert "In force" in body
    assert "Upcoming" in body


@pytest.mark.parametrize(
    ("query", "present", "absent"),
    [
        ("status=upcoming", "us-nhtsa-cafe-rollback-2025", "cn-mofcom-2025-62"),
        ("status=ended", "cn-mofcom-gac-2025-70", "cn-mofcom-2025-62"),
        ("material=dysprosium", "cn-mofcom-gac-2025-18", "cn-mofcom-gac-2023-23"),
        ("material=dysprosium", "cn-mofcom-2025-61", "cn-mofcom-gac-2023-39"),
        (
            "jurisdiction__id__exact=__US__",
            "us-bis-232-critical-minerals-2025",
            "cn-mofcom-2025-62",
        ),
        ("measure_type__exact=standard", "eu-2024-1252-crma", "cn-mofcom-2025-62"),
        ("q=gallium", "cn-mofcom-gac-2023-23", "cn-mofcom-gac-2024-33"),
    ],
)
def test_changelist_filters(admin_client_with_data, query, present, absent):
    from timeline.models import Jurisdiction

    query = query.replace("__US__", str(Jurisdiction.objects.get(code="US").pk))
    response = admin_client_with_data.get(
        reverse("admin:timeline_measure_changelist") + "?" + query
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert f">{present}<" in body
    assert f">{absent}<" not in body


def test_changelist_query_count_does_not_grow_with_rows(
    admin_client, make_measure, django_assert_max_num_queries
):
    for _ in range(3):
        make_measure()
    url = reverse("admin:timeline_measure_changelist")
    with django_assert_max_num_queries(20) as few:
        admin_client.get(url)
    for _ in range(30):
        make_measure()
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client.get(url)


def test_change_form_renders_with_inlines(admin_client_with_data):
    measure = Measure.objects.get(key="cn-mofcom-gac-2025-70")
    response = admin_client_with_data.get(
        reverse("admin:timeline_measure_change", args=[measure.pk])
    )
    assert response.status_code == 200
    body = response.content.decode()
    for prefix in ["material_links", "events", "sources", "relations"]:
        assert f'name="{prefix}-TOTAL_FORMS"' in body
    assert "cn-mofcom-gac-2025-55" in body  # a related measure shown in the relations inline


def inline_management(prefix: str, total: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def measure_form(**overrides) -> dict:
    from timeline.models import Jurisdiction, Material

    data = {
        "key": "cn-test-2026-1",
        "title": "Test controls",
        "reference": "Announcement No. 1 of 2026",
        "jurisdiction": str(Jurisdiction.objects.get(code="CN").pk),
        "measure_type": "export_licence_requirement",
        "announced_on": "2026-01-01",
        "effective_on": "2026-02-01",
        "ends_on": "",
        "confidence": "high",
        **inline_management("material_links", 1),
        "material_links-0-material": str(Material.objects.get(slug="gallium").pk),
        "material_links-0-scope": "metal",
        **inline_management("events", 1),
        "events-0-date": "2026-06-01",
        "events-0-type": "suspended",
        "events-0-note": "Suspended for review.",
        **inline_management("sources"),
        **inline_management("relations"),
    }
    data.update(overrides)
    return data


def test_admin_save_creates_a_valid_measure_with_its_timeline(admin_client_with_data):
    response = admin_client_with_data.post(reverse("admin:timeline_measure_add"), measure_form())
    assert response.status_code == 302, response.content.decode()[:2000]
    measure = Measure.objects.get(key="cn-test-2026-1")
    assert list(measure.materials.values_list("slug", flat=True)) == ["gallium"]
    assert sorted(MeasureEvent.objects.filter(measure=measure).values_list("type", "derived")) == [
        ("announced", True),
        ("effective", True),
        ("suspended", False),
    ]


def test_admin_shows_readable_error_for_end_before_start(admin_client_with_data):
    response = admin_client_with_data.post(
        reverse("admin:timeline_measure_add"), measure_form(ends_on="2026-01-15")
    )
    assert response.status_code == 200
    assert "must come after the day it takes effect" in response.content.decode()
    assert not Measure.objects.filter(key="cn-test-2026-1").exists()


def test_material_admin_edits_group_membership(admin_client_with_data):
    from timeline.models import Material

    group = Material.objects.get(slug="light-rare-earth-elements")
    response = admin_client_with_data.get(
        reverse("admin:timeline_material_change", args=[group.pk])
    )
    assert response.status_code == 200
    assert "Neodymium" in response.content.decode()
    circular = admin_client_with_data.post(
        reverse(
            "admin:timeline_material_change",
            args=[Material.objects.get(slug="rare-earth-elements").pk],
        ),
        {
            "name": "Rare earth elements",
            "slug": "rare-earth-elements",
            "category": "group",
            "hs_codes": "[]",
            "groups": [str(group.pk)],
        },
    )
    assert circular.status_code == 200
    assert "already sits inside" in circular.content.decode()


@pytest.mark.parametrize(
    ("hs_codes", "status", "shown_or_stored"),
    [
        ('["2805.30", "8112 92 90 10"]', 302, ["280530", "8112929010"]),
        ('["2899"]', 200, "2899 is not a chapter, heading or subheading of HS 2022."),
    ],
)
def test_material_admin_checks_hs_codes_against_the_nomenclature(
    admin_client_with_data, hs_codes, status, shown_or_stored
):
    from timeline.models import Material

    gallium = Material.objects.get(slug="gallium")
    response = admin_client_with_data.post(
        reverse("admin:timeline_material_change", args=[gallium.pk]),
        {
            "name": gallium.name,
            "slug": gallium.slug,
            "category": gallium.category,
            "symbol": gallium.symbol,
            "atomic_number": gallium.atomic_number,
            "cas_number": gallium.cas_number,
            "hs_codes": hs_codes,
            "groups": [str(pk) for pk in gallium.groups.values_list("pk", flat=True)],
        },
    )
    assert response.status_code == status
    if status == 302:
        gallium.refresh_from_db()
        assert gallium.hs_codes == shown_or_stored
    else:
        assert shown_or_stored in response.content.decode()


def test_jurisdiction_admin_refuses_another_kind_for_a_built_in_code(admin_client_with_data):
    from timeline.models import Jurisdiction

    eu = Jurisdiction.objects.get(code="EU")
    response = admin_client_with_data.post(
        reverse("admin:timeline_jurisdiction_change", args=[eu.pk]),
        {"code": "eu", "name": "European Union", "kind": "country"},
    )
    assert response.status_code == 200
    assert "EU is built in with kind &#x27;bloc&#x27;" in response.content.decode()


@pytest.mark.parametrize(
    "model", ["jurisdiction", "authority", "material", "sector", "measure", "hscode"]
)
def test_every_changelist_renders(admin_client_with_data, model):
    assert (
        admin_client_with_data.get(reverse(f"admin:timeline_{model}_changelist")).status_code == 200
    )


def test_admin_refuses_to_overwrite_a_later_save(admin_client_with_data):
    import re

    from django.contrib.auth.models import User

    from tests.api.conftest import token_client

    measure = Measure.objects.get(key="cn-mofcom-2025-62")
    url = reverse("admin:timeline_measure_change", args=[measure.pk])
    page = admin_client_with_data.get(url).content.decode()
    loaded = re.search(r'name="loaded_version" value="([^"]+)"', page).group(1)

    other = User.objects.create_superuser("colleague")
    token_client(other).patch(
        "/api/v1/measures/cn-mofcom-2025-62/", {"title": "Their title"}, format="json"
    )

    form = measure_form(key="cn-mofcom-2025-62", title="My title", loaded_version=loaded)
    response = admin_client_with_data.post(url, form)
    assert response.status_code == 200
    assert "colleague changed this measure" in response.content.decode()
    assert Measure.objects.get(pk=measure.pk).title == "Their title"


def test_admin_saves_when_nobody_else_did(admin_client_with_data):
    import re

    measure = Measure.objects.get(key="cn-mofcom-2025-62")
    url = reverse("admin:timeline_measure_change", args=[measure.pk])
    loaded = re.search(
        r'name="loaded_version" value="([^"]+)"', admin_client_with_data.get(url).content.decode()
    ).group(1)
    form = measure_form(key="cn-mofcom-2025-62", title="My title", loaded_version=loaded)
    assert admin_client_with_data.post(url, form).status_code == 302
    assert Measure.objects.get(pk=measure.pk).title == "My title"


@pytest.mark.parametrize("model", ["measure", "authority"])
def test_changelist_filters_offer_only_the_jurisdictions_in_use(admin_client_with_data, model):
    body = admin_client_with_data.get(reverse(f"admin:timeline_{model}_changelist")).content
    assert "China (CN)" in body.decode()
    assert "Japan (JP)" not in body.decode()


def test_needs_review_lists_measures_with_a_passed_scheduled_event_oldest_first(
    admin_client, make_measure
):
    import datetime

    today = datetime.date.today()
    make_measure(key="reviewed-later", events=[(today, "reinstated", True)])
    make_measure(key="reviewed-first", events=[(datetime.date(2020, 1, 1), "ended", True)])
    make_measure(key="still-a-plan", events=[(datetime.date(2199, 1, 1), "ended", True)])
    make_measure(key="a-fact", events=[(datetime.date(2020, 1, 1), "suspended")])
    response = admin_client.get(
        reverse("admin:timeline_measure_changelist") + "?needs_review=scheduled_passed"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert ">still-a-plan<" not in body and ">a-fact<" not in body
    assert body.index(">reviewed-first<") < body.index(">reviewed-later<")


def test_event_inline_saves_the_scheduled_flag(admin_client_with_data):
    form = measure_form(**{"events-0-scheduled": "on"})
    response = admin_client_with_data.post(reverse("admin:timeline_measure_add"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    event = MeasureEvent.objects.get(measure__key="cn-test-2026-1", derived=False)
    assert event.scheduled is True


def test_admin_takes_a_date_known_only_to_the_month(admin_client_with_data):
    response = admin_client_with_data.post(
        reverse("admin:timeline_measure_add"),
        measure_form(effective_on="2026-02-01", effective_on_precision="month"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    measure = Measure.objects.get(key="cn-test-2026-1")
    assert measure.partial_date("effective_on") == (datetime.date(2026, 2, 1), "month")


def test_admin_refuses_a_month_that_is_not_entered_as_its_first_day(admin_client_with_data):
    response = admin_client_with_data.post(
        reverse("admin:timeline_measure_add"),
        measure_form(effective_on="2026-02-14", effective_on_precision="month"),
    )
    assert response.status_code == 200
    assert "stored as the first day of that month (2026-02-01)" in response.content.decode()
    assert not Measure.objects.filter(key="cn-test-2026-1").exists()
