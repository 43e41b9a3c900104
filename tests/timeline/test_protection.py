"""A record measures use cannot be deleted, through the API or the admin: the measures would
change without a history version, and their older versions could not be restored."""

import pytest
from django.db.models import Q

from tests.api.conftest import token_client
from timeline.changes import touch_measures
from timeline.models import Authority, Jurisdiction, Measure, Sector


@pytest.fixture
def editor(db):
    from django.contrib.auth.models import Permission, User

    user = User.objects.create_user("deleter")
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="timeline"))
    return token_client(user)


USED = [
    ("/api/v1/authorities/bis/", Authority, {"slug": "bis"}, "us-bis-232-critical-minerals-2025"),
    ("/api/v1/sectors/lasers/", Sector, {"slug": "lasers"}, "cn-mofcom-gac-2025-57"),
    ("/api/v1/jurisdictions/US/", Jurisdiction, {"code": "US"}, "us-nhtsa-cafe-rollback-2025"),
]


@pytest.mark.parametrize(("url", "model", "lookup", "user"), USED)
def test_deleting_a_record_measures_use_is_a_409_naming_them(
    editor, demo_data, url, model, lookup, user
):
    measures_before = {m.key: m.updated_at for m in Measure.objects.all()}
    response = editor.delete(url)
    assert response.status_code == 409, response.content
    assert user in response.json()["errors"][0]["detail"]
    assert model.objects.filter(**lookup).exists()
    assert {m.key: m.updated_at for m in Measure.objects.all()} == measures_before


def test_a_jurisdiction_only_targeted_is_protected_too(editor, demo_data, make_measure):
    measure = make_measure(key="aimed-at-japan")
    measure.target_jurisdictions.set([Jurisdiction.objects.get(code="JP")])
    touch_measures(Q(pk=measure.pk))  # as every write of what a measure shows does
    assert editor.delete("/api/v1/jurisdictions/JP/").status_code == 409


def test_an_unused_record_is_deleted(editor, demo_data):
    editor.post("/api/v1/sectors/", {"slug": "spare", "name": "Spare"}, format="json")
    assert editor.delete("/api/v1/sectors/spare/").status_code == 204


def test_the_admin_refuses_and_lists_the_measures(admin_client, demo_data):
    sector = Sector.objects.get(slug="lasers")
    page = admin_client.get(f"/admin/timeline/sector/{sector.pk}/delete/")
    assert page.status_code == 200
    assert b"cn-mofcom-gac-2025-57" in page.content
    response = admin_client.post(f"/admin/timeline/sector/{sector.pk}/delete/", {"post": "yes"})
    assert Sector.objects.filter(pk=sector.pk).exists(), response.status_code
