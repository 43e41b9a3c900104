"""A large, realistic, deterministic timeline for benchmarks: real jurisdictions, the demo's
materials and hundreds of derived ones in nested groups, measures spread over 1990-2030 with
about five events each and suspensions on a few percent.

Rows are written in bulk with the ids chosen here, so nothing is read back; the timeline's
derived entries and in-force periods are computed by the rules ``Measure.sync_derived_events``
applies (``Measure.implied_events``, ``periods.periods_rows``).
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from collections.abc import Iterator

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify

from .counts import InForceCountChange, InForceCountMonth, TimelineEventCount, rebuild_counts
from .importers import DEMO_FILES, load, read_documents
from .matches import MatchedEvent, MatchedInForcePeriod, rebuild_materials
from .models import (
    Authority,
    Confidence,
    EventType,
    Jurisdiction,
    Material,
    MaterialCategory,
    Measure,
    MeasureEvent,
    MeasureMaterial,
    MeasureRelation,
    MeasureSource,
    MeasureType,
    RelationType,
    Sector,
)
from .periods import InForcePeriod, periods_rows
from .representation import store as representation
from .search.index import index_measures
from .status import SUSPENSION_EVENTS
from .versioning import bump_version

JURISDICTIONS = {
    "AE": "United Arab Emirates", "AR": "Argentina", "AT": "Austria", "AU": "Australia",
    "BD": "Bangladesh", "BE": "Belgium", "BO": "Bolivia", "BR": "Brazil", "CA": "Canada",
    "CD": "Democratic Republic of the Congo", "CH": "Switzerland", "CL": "Chile", "CZ": "Czechia",
    "DE": "Germany", "DK": "Denmark", "EG": "Egypt", "ES": "Spain", "FI": "Finland",
    "FR": "France", "GB": "United Kingdom", "ID": "Indonesia", "IE": "Ireland", "IL": "Israel",
    "IN": "India", "IT": "Italy", "JP": "Japan", "KH": "Cambodia", "KR": "Republic of Korea",
    "KZ": "Kazakhstan", "LA": "Laos", "LK": "Sri Lanka", "MA": "Morocco", "MM": "Myanmar",
    "MN": "Mongolia", "MX": "Mexico", "MY": "Malaysia", "NA": "Namibia", "NG": "Nigeria",
    "NL": "Netherlands", "NO": "Norway", "NZ": "New Zealand", "PE": "Peru", "PH": "Philippines",
    "PK": "Pakistan", "PL": "Poland", "PT": "Portugal", "RU": "Russia", "SA": "Saudi Arabia",
    "SE": "Sweden", "SG": "Singapore", "TH": "Thailand", "TN": "Tunisia", "TR": "Türkiye",
    "UZ": "Uzbekistan", "VN": "Viet Nam", "ZA": "South Africa", "ZM": "Zambia",
}  # fmt: skip
AUTHORITY_KINDS = [
    ("commerce", "Ministry of Commerce", "MOC"),
    ("customs", "Customs Administration", "CA"),
    ("export-control", "Export Control Office", "ECO"),
]
SECTORS = [
    "semiconductors", "electric vehicles", "wind turbines", "defence", "aerospace", "batteries",
    "solar", "optical fibre", "medical imaging", "lasers", "machining", "catalysts", "steel",
    "nuclear", "consumer electronics", "telecommunications", "chemicals", "glass and ceramics",
    "rare earth processing", "automotive",
]  # fmt: skip
FORMS = [
    "oxide", "alloys", "powder", "concentrate", "scrap", "compounds", "targets", "precursors",
    "wire",
]  # fmt: skip
FIRST_DAY = datetime.date(1990, 1, 1)
LAST_DAY = datetime.date(2030, 12, 31)


def _days(rng: random.Random, low: int, high: int) -> datetime.timedelta:
    return datetime.timedelta(days=rng.randint(low, high))


class _Ids:
    """Hands out primary keys above what the table holds, so rows can refer to each other
    before they are written."""

    def __init__(self, model):
        self.next = (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1

    def take(self) -> int:
        self.next += 1
        return self.next - 1


def generate(*, measures: int, seed: int, batch_size: int = 5000, progress=None) -> dict[str, int]:
    """Add ``measures`` synthetic measures (and the reference data they need) in one go."""
    rng = random.Random(seed)
    with transaction.atomic():
        if not Material.objects.exists():
            load(read_documents(DEMO_FILES))
        jurisdictions = _jurisdictions()
        authorities = _authorities(jurisdictions)
        sectors = _sectors()
        materials = _materials()
        counts = _measures(
            rng,
            measures,
            jurisdictions=jurisdictions,
            authorities=authorities,
            sectors=sectors,
            materials=materials,
            batch_size=batch_size,
            progress=progress,
        )
    bump_version()  # bulk writes send no signals
    with connection.cursor() as cursor:
        # Rows were written with the ids chosen here: move PostgreSQL's sequences past them.
        written = [Measure, MeasureEvent, MeasureMaterial, MeasureSource, MeasureRelation]
        written += [InForcePeriod] + [
            getattr(Measure, name).through
            for name in ("authorities", "target_jurisdictions", "sectors")
        ]
        for statement in connection.ops.sequence_reset_sql(no_style(), written):
            cursor.execute(statement)
    analyze_tables()  # fresh planner statistics for the new rows
    with connection.cursor() as cursor:
        rebuild_counts()  # the periods and events were written in bulk, the counts not kept
        rebuild_materials()  # nor the rows stored per matched material
        kept = (InForceCountChange, InForceCountMonth, TimelineEventCount)
        for model in (*kept, MatchedInForcePeriod, MatchedEvent):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return counts


def analyze_tables() -> None:
    """Fresh planner statistics for the project's tables, in the caller's transaction. Not a
    bare ANALYZE: on PostgreSQL that also analyzes the cluster's shared catalogs, whose locks a
    generation's transaction then holds for its hours, so ANALYZE in any other database of the
    server (a test run's, say) waits for it."""
    with connection.cursor() as cursor:
        for table in connection.introspection.django_table_names(only_existing=True):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def _jurisdictions() -> list[Jurisdiction]:
    existing = set(Jurisdiction.objects.values_list("code", flat=True))
    Jurisdiction.objects.bulk_create(
        Jurisdiction(code=code, name=name)
        for code, name in JURISDICTIONS.items()
        if code not in existing
    )
    return list(Jurisdiction.objects.order_by("code"))


def _authorities(jurisdictions: list[Jurisdiction]) -> dict[int, list[Authority]]:
    existing = set(Authority.objects.values_list("slug", flat=True))
    Authority.objects.bulk_create(
        Authority(
            slug=f"{j.code.lower()}-{kind}",
            name=f"{label} ({j.name})",
            abbreviation=f"{j.code}-{abbreviation}",
            jurisdiction=j,
        )
        for j in jurisdictions
        for kind, label, abbreviation in AUTHORITY_KINDS
        if f"{j.code.lower()}-{kind}" not in existing
    )
    by_jurisdiction: dict[int, list[Authority]] = {}
    for authority in Authority.objects.order_by("slug"):
        by_jurisdiction.setdefault(authority.jurisdiction_id, []).append(authority)
    return by_jurisdiction


def _sectors() -> list[Sector]:
    existing = set(Sector.objects.values_list("slug", flat=True))
    Sector.objects.bulk_create(
        Sector(slug=slugify(name), name=name) for name in SECTORS if slugify(name) not in existing
    )
    return list(Sector.objects.order_by("slug"))


def _materials() -> list[Material]:
    """The demo's materials, and for each non-group one its forms (oxide, alloys...), each in
    its base material's groups and in a group per form under "Processed materials"."""
    by_slug = {m.slug: m for m in Material.objects.all()}

    def ensure(name: str, category: str) -> Material:
        slug = slugify(name)
        if slug not in by_slug:
            by_slug[slug] = Material.objects.create(slug=slug, name=name, category=category)
        return by_slug[slug]

    processed = ensure("Processed materials", MaterialCategory.GROUP)
    form_groups = {}
    for form in FORMS:
        group = ensure(f"Processed materials: {form}", MaterialCategory.GROUP)
        group.groups.add(processed)
        form_groups[form] = group
    Membership = Material.groups.through
    links = []
    bases = [m for m in by_slug.values() if m.category != MaterialCategory.GROUP]
    base_groups: dict[int, list[int]] = defaultdict(list)
    for member, group in Membership.objects.values_list("from_material_id", "to_material_id"):
        base_groups[member].append(group)
    for base in sorted(bases, key=lambda m: m.slug):
        if base.category not in (
            MaterialCategory.RARE_EARTH_ELEMENT,
            MaterialCategory.CRITICAL_MINERAL,
        ):
            continue
        for form in FORMS:
            name = f"{base.name} {form}"
            if slugify(name) in by_slug:
                continue
            material = ensure(name, MaterialCategory.PRODUCT)
            groups = {form_groups[form].pk, *base_groups[base.pk]}
            links += [Membership(from_material_id=material.pk, to_material_id=g) for g in groups]
    Membership.objects.bulk_create(links, ignore_conflicts=True)
    return sorted(by_slug.values(), key=lambda m: m.slug)


def _insert(model, objects: list) -> None:
    """Write ``objects`` (unsaved instances of ``model``) in one statement per table:
    PostgreSQL's COPY, or one prepared INSERT run over every row on SQLite. ``bulk_create``
    prepares each value of each row through its field, which made a million measures take
    a quarter of an hour; these rows are built here from valid values, so they go as they are.
    """
    if not objects:
        return
    fields = [
        f for f in model._meta.concrete_fields if not (f.primary_key and objects[0].pk is None)
    ]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    names = [f.attname for f in fields]
    if connection.vendor == "postgresql":
        copying = f"COPY {table} ({columns}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(copying) as copy:
            for obj in objects:
                copy.write_row([getattr(obj, name) for name in names])
        return
    adapt = [_sqlite_adapter(f) for f in fields]
    rows = [
        [value if to_db is None else to_db(value) for value, to_db in zip(
            [getattr(obj, name) for name in names], adapt, strict=True
        )]
        for obj in objects
    ]  # fmt: skip
    placeholders = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)


def _sqlite_adapter(field):
    """How SQLite stores a value of ``field`` as Django writes it, or None: as it is."""
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return lambda value: None if value is None else value.isoformat()
    return None


def _date_between(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    return first + datetime.timedelta(days=rng.randint(0, (last - first).days))


def _measures(rng, count, *, jurisdictions, authorities, sectors, materials, batch_size, progress):
    measure_ids, event_ids = _Ids(Measure), _Ids(MeasureEvent)
    types = list(MeasureType.values)
    groups = [m for m in materials if m.category == MaterialCategory.GROUP]
    others = [m for m in materials if m.category != MaterialCategory.GROUP]
    # A few large economies issue most measures.
    weights = [8 if j.code in ("CN", "US", "EU", "JP", "IN", "RU") else 1 for j in jurisdictions]
    now = timezone.now()
    totals = dict.fromkeys(["measures", "events", "materials", "suspended"], 0)
    rows: dict[type, list] = {}
    previous_keys: list[int] = []
    analyzed_at = [0]  # measures written at the last ANALYZE

    def flush(force: bool = False) -> None:
        if not force and len(rows.get(Measure, [])) < batch_size:
            return
        written = [measure.pk for measure in rows.get(Measure, [])]
        for model in (
            Measure,
            MeasureMaterial,
            MeasureEvent,
            MeasureSource,
            MeasureRelation,
            InForcePeriod,
        ):
            _insert(model, rows.pop(model, []))
        for field in ("authorities", "target_jurisdictions", "sectors"):
            through = getattr(Measure, field).through
            _insert(through, rows.pop(through, []))
        if connection.vendor == "postgresql" and totals["measures"] >= 2 * analyzed_at[0]:
            # The reads below find each batch's rows by index only while the planner knows
            # the tables are large: with the statistics of the empty tables it scanned them
            # whole, every batch (a million measures took over an hour).
            analyze_tables()
            analyzed_at[0] = totals["measures"]
        index_measures(written)
        representation.refresh(written)
        if progress:
            progress(totals["measures"])

    for number in range(count):
        jurisdiction = rng.choices(jurisdictions, weights)[0]
        announced = _date_between(rng, FIRST_DAY, LAST_DAY)
        effective = announced + _days(rng, 0, 120) if rng.random() < 0.93 else None
        ends = None
        if effective and rng.random() < 0.3:
            ends = effective + _days(rng, 30, 3650)
        pk = measure_ids.take()
        measure_type = rng.choice(types)
        measure = Measure(
            pk=pk,
            key=f"syn-{jurisdiction.code.lower()}-{announced.year}-{number:06d}",
            title=f"{MeasureType(measure_type).label} on selected items, No. {number}",
            reference=f"{jurisdiction.name} notice {number} of {announced.year}",
            jurisdiction=jurisdiction,
            measure_type=measure_type,
            summary="Synthetic measure for benchmarks.",
            announced_on=announced,
            effective_on=effective,
            ends_on=ends,
            confidence=Confidence.HIGH,
            created_at=now,
            updated_at=now,
        )
        rows.setdefault(Measure, []).append(measure)
        through = Measure.authorities.through
        own = authorities[jurisdiction.pk]
        rows.setdefault(through, []).extend(
            through(measure_id=pk, authority_id=a.pk) for a in rng.sample(own, rng.randint(1, 2))
        )
        if rng.random() < 0.2:
            through = Measure.target_jurisdictions.through
            rows.setdefault(through, []).extend(
                through(measure_id=pk, jurisdiction_id=j.pk)
                for j in rng.sample(jurisdictions, rng.randint(1, 3))
            )
        through = Measure.sectors.through
        rows.setdefault(through, []).extend(
            through(measure_id=pk, sector_id=s.pk) for s in rng.sample(sectors, rng.randint(1, 3))
        )
        listed = rng.sample(others, rng.randint(1, 4))
        if rng.random() < 0.1:
            listed.append(rng.choice(groups))
        rows.setdefault(MeasureMaterial, []).extend(
            MeasureMaterial(measure_id=pk, material_id=m.pk, scope="listed items") for m in listed
        )
        totals["materials"] += len(listed)
        events = list(_events(rng, announced, effective, ends, totals))
        recorded = {(date, type_) for date, type_, _ in events}
        measure.has_suspension_events = any(type_ in SUSPENSION_EVENTS for _, type_ in recorded)
        implied = measure.implied_events(recorded)
        events += [(date, type_, True) for date, type_, _ in implied]  # precision: day
        rows.setdefault(InForcePeriod, []).extend(
            periods_rows(
                pk,
                effective_on=effective,
                ends_on=ends,
                events=[(date, type_) for date, type_ in recorded if type_ in SUSPENSION_EVENTS],
                material_ids=[m.pk for m in listed],
            )
        )
        rows.setdefault(MeasureEvent, []).extend(
            MeasureEvent(pk=event_ids.take(), measure_id=pk, date=date, type=type_, derived=derived)
            for date, type_, derived in sorted(events)
        )
        totals["events"] += len(events)
        rows.setdefault(MeasureSource, []).append(
            MeasureSource(
                measure_id=pk, url=f"https://example.org/notices/{number}", title="Notice"
            )
        )
        if previous_keys and rng.random() < 0.05:
            rows.setdefault(MeasureRelation, []).append(
                MeasureRelation(
                    from_measure_id=pk,
                    to_measure_id=rng.choice(previous_keys),
                    relation=rng.choice(RelationType.values),
                )
            )
        previous_keys.append(pk)
        totals["measures"] += 1
        flush()
    flush(force=True)
    return totals


def _events(rng, announced, effective, ends, totals) -> Iterator[tuple]:
    """About five recorded events: announcement, often entry into force, notes and amendments,
    and on a few percent a suspension, mostly followed by a reinstatement."""
    yield announced, EventType.ANNOUNCED, False
    if effective and rng.random() < 0.7:
        yield effective, EventType.EFFECTIVE, False
    horizon = ends or (effective or announced) + datetime.timedelta(days=2000)
    start = effective or announced
    for _ in range(rng.randint(1, 4)):
        yield (
            start + _days(rng, 0, max(1, (horizon - start).days)),
            rng.choice([EventType.NOTE, EventType.AMENDED, EventType.PUBLISHED]),
            False,
        )
    if effective and rng.random() < 0.04:
        totals["suspended"] += 1
        suspended = effective + _days(rng, 1, 700)
        yield suspended, EventType.SUSPENDED, False
        if rng.random() < 0.6:
            yield suspended + _days(rng, 30, 700), EventType.REINSTATED, False
