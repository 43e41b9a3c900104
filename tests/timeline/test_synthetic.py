import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from timeline.models import InForcePeriod, Material, Measure, MeasureEvent
from timeline.periods import rebuild_in_force_periods
from timeline.synthetic import generate

pytestmark = pytest.mark.usefixtures("empty_timeline")


def fingerprint():
    return list(
        Measure.objects.filter(key__startswith="syn-")
        .order_by("key")
        .values_list("key", "measure_type", "announced_on", "effective_on", "ends_on")
    ), list(
        MeasureEvent.objects.order_by("measure__key", "date", "type").values_list("date", "type")
    )


def test_same_seed_gives_the_same_data():
    generate(measures=60, seed=7)
    first = fingerprint()
    Measure.objects.filter(key__startswith="syn-").delete()
    generate(measures=60, seed=7)
    assert fingerprint() == first


def test_synthetic_data_is_realistic_and_valid():
    counts = generate(measures=300, seed=3)
    synthetic = Measure.objects.filter(key__startswith="syn-")
    assert counts["measures"] == synthetic.count() == 300
    assert 4 <= MeasureEvent.objects.filter(measure__in=synthetic).count() / 300 <= 7
    assert Material.objects.count() >= 250
    assert Material.objects.filter(category="group").count() >= 10
    for measure in Measure.objects.prefetch_related("events")[:300]:
        measure.full_clean()
        derived = {(e.date, e.type, e.date_precision) for e in measure.events.all() if e.derived}
        assert derived == {
            entry for entry in measure.date_events()
            if entry[:2] not in {(e.date, e.type) for e in measure.events.all() if not e.derived}
        }  # fmt: skip
    day = datetime.date(2020, 6, 1)
    in_sql = {m.pk: m.status for m in Measure.objects.with_status(day)}
    in_python = {m.pk: m.status_on(day) for m in Measure.objects.prefetch_related("events")}
    assert in_sql == in_python


def test_command_reports_what_it_made(capsys):
    call_command("generate_synthetic", "--measures", "50", "--seed", "2")
    assert "50 measures" in capsys.readouterr().out


def test_synthetic_measures_are_in_the_search_index():
    from timeline.search import search_measures

    generate(measures=60, seed=7)
    measure = Measure.objects.filter(key__startswith="syn-").order_by("key").first()
    assert measure in search_measures(Measure.objects.all(), measure.key)


def test_generated_in_force_periods_are_what_the_write_paths_store():
    generate(measures=200, seed=5)

    def periods():
        return sorted(
            InForcePeriod.objects.values_list(
                "measure_id", "material_id", "starts_on", "ends_before"
            ),
            key=lambda row: (row[0], row[1] or 0, row[2]),
        )

    generated = periods()
    assert generated
    rebuild_in_force_periods(Measure.objects.values_list("pk", flat=True))
    assert periods() == generated


def test_generating_analyzes_the_projects_tables_not_the_whole_server():
    """A bare ANALYZE on PostgreSQL also takes the cluster's shared catalogs, and a
    generation's transaction would hold them for its hours: every other database's ANALYZE
    (a test run's beside a benchmark build) then waits for it."""
    with CaptureQueriesContext(connection) as queries:
        generate(measures=60, seed=7)
    analyses = [
        q["sql"].strip() for q in queries if q["sql"].lstrip().upper().startswith("ANALYZE")
    ]
    assert analyses
    assert all(sql.upper() != "ANALYZE" for sql in analyses)
    assert connection.ops.quote_name(Measure._meta.db_table) in {
        sql.split(None, 1)[1] for sql in analyses
    }
