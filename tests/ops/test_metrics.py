import re
import urllib.request

import pytest
from django.db import connection
from prometheus_client import REGISTRY, Gauge

from tests.live_server import free_port, manage, request, server_command, server_env, serving
from timeline.models import Measure


@pytest.fixture
def open_metrics(settings):
    settings.REGWATCH_METRICS_TOKEN = "scrape-secret"


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus' text format (0 when absent)."""
    total = 0.0
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and all(f'{key}="{value}"' in match[1] for key, value in labels.items()):
            total += float(match[2])
    return total


@pytest.mark.django_db
def test_metrics_are_closed_by_default(client):
    response = client.get("/metrics")

    assert response.status_code == 403


@pytest.mark.django_db
def test_metrics_open_with_the_bearer_token(client, open_metrics):
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("networks", "allowed"),
    [(["127.0.0.0/8"], True), (["10.0.0.0/8", "::1/128"], False), ([], False)],
)
def test_metrics_open_to_the_configured_networks(client, settings, networks, allowed):
    settings.REGWATCH_METRICS_ALLOWED_NETWORKS = networks

    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")

    assert (response.status_code == 200) is allowed


def scrape(client) -> str:
    return client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret").content.decode()


@pytest.mark.django_db
def test_request_latency_is_labelled_by_route_not_by_path(client, open_metrics, demo_data):
    name = "django_http_requests_latency_seconds_by_view_method_count"
    before = sample(scrape(client), name, view="api:measure-detail", method="GET")
    keys = Measure.objects.order_by("key").values_list("key", flat=True)[:2]

    for key in keys:
        assert client.get(f"/api/v1/measures/{key}/").status_code == 200
    text = scrape(client)

    assert sample(text, name, view="api:measure-detail", method="GET") == before + 2
    assert not any(key in text for key in keys)


@pytest.mark.django_db
def test_database_queries_are_counted(client, open_metrics, demo_data):
    before = sample(scrape(client), "django_db_execute_total")

    client.get("/api/v1/measures/")

    assert sample(scrape(client), "django_db_execute_total") > before


class QueueCollector:
    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        yield GaugeMetricFamily("regwatch_queue_depth", "Jobs waiting.", value=7)


@pytest.mark.django_db
def test_a_collector_named_in_the_settings_reports_at_each_scrape(client, settings, open_metrics):
    settings.REGWATCH_METRICS_COLLECTORS = ["tests.ops.test_metrics.QueueCollector"]

    assert "regwatch_queue_depth 7.0" in scrape(client)


SECTOR_LIST_REQUESTS = "django_http_requests_total_by_view_transport_method_total"


def multiprocess_env(tmp_path) -> dict[str, str]:
    """A migrated database and a metrics directory for web processes of several workers."""
    env = server_env(
        f"sqlite:///{tmp_path / 'metrics.sqlite3'}",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        REGWATCH_METRICS_TOKEN="scrape-secret",
        REGWATCH_READ_CACHE_SECONDS="0",
    )
    manage(env, "migrate", "--noinput")
    return env


def scrape_server(base: str) -> str:
    req = urllib.request.Request(base + "/metrics")
    req.add_header("Authorization", "Bearer scrape-secret")
    with urllib.request.urlopen(req, timeout=30) as response:
        return response.read().decode()


def test_several_workers_report_every_request_once(tmp_path):
    env = multiprocess_env(tmp_path)
    port = free_port()

    with serving(server_command(port, workers=2), env, port, "/healthz") as base:
        for _ in range(20):
            assert request("GET", base + "/api/v1/sectors/")[0] == 200
        # whichever worker answers, it reports them all
        scrapes = [scrape_server(base) for _ in range(4)]

    counts = {sample(text, SECTOR_LIST_REQUESTS, view="api:sector-list") for text in scrapes}
    assert counts == {20.0}


def test_a_restarted_server_counts_from_zero(tmp_path):
    env = multiprocess_env(tmp_path)
    counted = []
    for requests in (5, 2):
        port = free_port()
        with serving(server_command(port, workers=2), env, port, "/healthz") as base:
            for _ in range(requests):
                assert request("GET", base + "/api/v1/sectors/")[0] == 200
            counted.append(
                sample(scrape_server(base), SECTOR_LIST_REQUESTS, view="api:sector-list")
            )
    assert counted == [5.0, 2.0]


def test_no_gauge_needs_marking_dead_when_a_worker_exits():
    """prometheus-client's ``mark_process_dead`` only drops the files of gauges in a ``live``
    mode; Granian has no hook to call it from, so RegWatch must have none."""
    import regwatch.wsgi  # noqa: F401 (registers every metric the served application has)

    modes = {
        collector._name: collector._multiprocess_mode
        for collector in REGISTRY._collector_to_names
        if isinstance(collector, Gauge)
    }
    assert modes
    assert not {name for name, mode in modes.items() if mode.startswith("live")}


@pytest.mark.django_db
def test_the_task_queue_and_deliveries_are_reported_at_each_scrape(client, open_metrics):
    from webhooks.queue import queue_status

    text = scrape(client)

    depth = re.search(r"^regwatch_task_queue_depth (\S+)$", text, re.MULTILINE)
    assert depth and float(depth[1]) == queue_status().depth
    assert re.search(r"^regwatch_task_queue_oldest_age_seconds \S+$", text, re.MULTILINE)
    for outcome in ("pending", "delivered", "failed"):
        assert f'regwatch_webhook_deliveries{{outcome="{outcome}"}} 0.0' in text


@pytest.mark.django_db
def test_sqlite_cursors_share_one_instrumented_class():
    if connection.vendor != "sqlite":
        pytest.skip("django-prometheus's PostgreSQL engine builds its class per connection")
    with connection.cursor() as first, connection.cursor() as second:
        assert type(first.cursor) is type(second.cursor)
        assert type(first.cursor).__module__ == "django_prometheus.db.common"


@pytest.mark.django_db
def test_direct_reads_have_a_series_per_operation_before_any_answer(client, open_metrics):
    from api.direct_reads import ROUTES, DirectReads

    DirectReads(lambda environ, start_response: [])
    text = scrape(client)

    for route in ROUTES:
        line = f'regwatch_direct_reads_total{{operation="{route.operation}"}}'
        assert any(found.startswith(line + " ") for found in text.splitlines()), line
