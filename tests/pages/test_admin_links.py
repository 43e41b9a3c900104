"""The admin's "View on site" leads to the pictures: a measure's page, a material's timeline."""

import re
from html import unescape

import pytest
from django.contrib.auth.models import User
from django.test import Client

from timeline.models import Material, Measure


@pytest.fixture
def admin_client(db) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("admin-links"))
    return client


def view_on_site(client: Client, change_page: str) -> str:
    html = client.get(change_page).content.decode()
    href = unescape(re.search(r'<a href="([^"]+)" class="viewsitelink">', html)[1])
    assert client.get(href).status_code == 200
    return href


def test_a_measures_change_page_leads_to_its_timeline_page(demo_data, admin_client):
    measure = Measure.objects.get(key="cn-mofcom-2025-62")
    page = view_on_site(admin_client, f"/admin/timeline/measure/{measure.pk}/change/")
    assert page == "/timeline/measures/cn-mofcom-2025-62/"


def test_a_materials_change_page_leads_to_the_timeline_of_its_measures(demo_data, admin_client):
    material = Material.objects.get(slug="dysprosium")
    page = view_on_site(admin_client, f"/admin/timeline/material/{material.pk}/change/")
    assert page == "/timeline/?material=dysprosium"
