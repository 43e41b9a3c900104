import pytest
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from knox.models import AuthToken
from rest_framework.test import APIClient


@pytest.fixture
def real_cache(settings):
    """A working cache (the test settings' default keeps nothing), emptied around the test."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client() -> APIClient:
    return APIClient()


def token_client(user: User) -> APIClient:
    _, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def editor_client(db) -> APIClient:
    """A service account allowed to change the timeline, authenticating with a token."""
    user = User.objects.create_user("editor")
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="timeline"))
    return token_client(user)


@pytest.fixture
def reader_client(db) -> APIClient:
    """Authenticated, but without any model permission."""
    return token_client(User.objects.create_user("reader"))


def results(response) -> list:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def keys(response) -> list[str]:
    return [item["key"] for item in results(response)]


def error_attrs(response) -> set:
    return {error["attr"] for error in response.json()["errors"]}
