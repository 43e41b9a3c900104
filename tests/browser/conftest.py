"""Browser tests: Debian's headless Chromium, driven by Playwright, against a real RegWatch
server (Granian, production settings, collected static files) on a fresh database holding
the demo data.

Every page a test opens is watched: a request to any other host than this machine is blocked
and fails the test, and so does any console error or uncaught script error. Each test saves
screenshots under ``tests/artifacts/screenshots/`` (git-ignored; CI keeps the folder as an
artefact). Chromium comes from the system (``apt-get install chromium``, which ``make test``
and ``.ci/run`` do): Playwright's own browser download is never used.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.live_server import ROOT, fresh_database, manage, running_server, server_env

CHROMIUM = os.environ.get("REGWATCH_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# The machine is shared: wait for what a page shows as long as a slow run needs, not 5 s.
expect.set_options(timeout=30_000)
# Chromium resolves no other name at all: nothing can leave the machine even if a page tried.
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"


def pytest_collection_modifyitems(config, items):
    """Without Chromium these tests cannot run: in CI that is a failure, elsewhere a skip
    that says how to get it."""
    if shutil.which(CHROMIUM):
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"{CHROMIUM} is missing: .ci/run installs chromium")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing: apt-get install chromium")
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(skip)


class Site:
    """The running server: its address and an editor's login."""

    def __init__(self, base: str, username: str, password: str):
        self.base, self.username, self.password = base, username, password

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Site:
    tmp = tmp_path_factory.mktemp("browser-site")
    password = secrets.token_urlsafe(16)
    with fresh_database(tmp, "browser") as database_url:
        env = server_env(
            database_url,
            DJANGO_STATIC_ROOT=str(tmp / "static"),
            DJANGO_SESSION_COOKIE_SECURE="false",  # plain HTTP on the loopback
            DJANGO_CSRF_COOKIE_SECURE="false",
        )
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        manage(env, "load_timeline")
        manage(
            env,
            "shell",
            "-c",
            "from django.contrib.auth.models import User; "
            f"User.objects.create_superuser('reviewer', password={password!r})",
        )
        with running_server(env, workers=1, threads=4) as base:
            yield Site(base, "reviewer", password)


@pytest.fixture(scope="session")
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[OFFLINE])
        yield browser
        browser.close()


class Watched:
    """A browser tab whose off-machine requests and console errors are collected."""

    def __init__(self, page, name: str):
        self.page, self.name = page, name
        self.offsite: list[str] = []
        self.errors: list[str] = []
        self.shots: list[Path] = []

    def screenshot(self, label: str, *, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{label}.png"
        self.page.screenshot(path=path, full_page=full_page)
        self.shots.append(path)
        return path


def _new_tab(context, name: str) -> Watched:
    page = context.new_page()
    page.set_default_timeout(20_000)
    watched = Watched(page, name)

    def guard(route):
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlsplit(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            watched.offsite.append(url)
            route.abort()

    context.route("**/*", guard)

    def console(message):
        if message.type == "error":
            watched.errors.append(f"{page.url}: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda error: watched.errors.append(f"{page.url}: {error}"))
    return watched


def _watched_tab(chromium, request, **context_options):
    context = chromium.new_context(**context_options)
    watched = _new_tab(context, request.node.name.removeprefix("test_"))
    yield watched
    context.close()
    assert not watched.offsite, f"requests off the machine: {watched.offsite}"
    assert not watched.errors, f"console errors: {watched.errors}"


@pytest.fixture
def tab(chromium, request):
    """A desktop tab at 1366 by 900."""
    yield from _watched_tab(chromium, request, viewport={"width": 1366, "height": 900})


@pytest.fixture
def phone_tab(chromium, request):
    """A phone-sized tab (390 by 844, touch)."""
    yield from _watched_tab(
        chromium,
        request,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )


def log_in(tab: Watched, site: Site) -> None:
    page = tab.page
    page.goto(site.url("/admin/login/"))
    page.fill("#id_username", site.username)
    page.fill("#id_password", site.password)
    page.click("input[type=submit]")
    page.wait_for_url(site.url("/admin/"))
