"""List endpoints run a fixed number of queries, whatever the page size or the data."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from timeline.models import Authority, Material, Sector
from timeline.services import EventEntry, MaterialLink, RelationEntry, SourceEntry


@pytest.fixture
def many_measures(demo_data, make_measure):
    """40 extra measures, each with every kind of nested part."""
    authorities = list(Authority.objects.all()[:2])
    materials = list(Material.objects.all()[:3])
    sectors = list(Sector.objects.all()[:2])
    from timeline.models import Measure
    from timeline.services import save_measure

    anchor = Measure.objects.get(key="cn-mofcom-2025-62")
    for number in range(40):
        measure = make_measure(
            key=f"bulk-{number:03}",
            announced_on=datetime.date(2024, 1, 1),
            effective_on=datetime.date(2024, 2, 1) + datetime.timedelta(days=number),
        )
        save_measure(
            measure,
            authorities=authorities,
            target_jurisdictions=[measure.jurisdiction],
            sectors=sectors,
            materials=[MaterialLink(m, "all") for m in materials],
            events=[EventEntry(datetime.date(2024, 6, 1), "suspended")],
            sources=[SourceEntry(f"https://example.org/{number}")],
            relations=[RelationEntry(anchor, "expands")],
        )


def count_queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("url", "params", "bound"),
    [
        # timeline version (for the cached count), count, the page's ids, their rows, then
        # one statement each: authorities, targets, sectors, materials, events, sources,
        # relations.
        ("/api/v1/measures/", {}, 11),
        # + the named material, the group expansion (one recursive query), the largest measure
        # id and a bounded read of the periods, which pick how the page is read (sorted or
        # walked).
        ("/api/v1/measures/", {"material": "rare-earth-elements", "in_force_on": "2025-01-01"}, 15),
        (
            "/api/v1/measures/",
            {"jurisdiction": "CN,US", "sector": "defence", "status": "suspended"},
            14,
        ),
        ("/api/v1/events/", {}, 3),
        # + a bounded read of the links, which picks how the page is read (sorted or walked).
        ("/api/v1/events/", {"material": "gallium", "measure": "bulk-001,bulk-002"}, 7),
        ("/api/v1/materials/", {}, 5),
        ("/api/v1/measures/bulk-001/timeline/", {}, 4),
        # material, group expansion, links (walk or sort), version, count (expansion again),
        # page
        ("/api/v1/materials/dysprosium/timeline/", {}, 7),
        ("/api/v1/authorities/", {}, 3),
    ],
)
def test_list_queries_do_not_grow_with_page_size(client, many_measures, url, params, bound):
    small = count_queries(client, url, {**params, "page_size": 2})
    large = count_queries(client, url, {**params, "page_size": 500})
    assert small == large <= bound


@pytest.mark.parametrize(
    "write",
    [
        lambda c: c.post(
            "/api/v1/measures/",
            {
                "key": "new-one",
                "title": "New",
                "jurisdiction": "CN",
                "measure_type": "other",
                "materials": [{"material": "gallium"}],
            },
            format="json",
        ),
        lambda c: c.delete("/api/v1/measures/cn-mofcom-gac-2023-23/"),
        lambda c: c.patch(
            "/api/v1/measures/eu-2024-1252-crma/",
            {"materials": [{"material": "antimony"}]},
            format="json",
        ),
        lambda c: c.patch(
            "/api/v1/materials/germanium/", {"groups": ["rare-earth-elements"]}, format="json"
        ),
    ],
)
def test_cached_counts_follow_every_write(client, editor_client, demo_data, real_cache, write):
    params = {"material": "gallium"}

    def count():
        return client.get("/api/v1/measures/", params).json()["count"]

    def truth():
        from timeline.models import Material, Measure

        return Measure.objects.matching_materials([Material.objects.get(slug="gallium")]).count()

    first = count()
    assert first == truth()
    with CaptureQueriesContext(connection) as cached:
        assert count() == first
    assert not any("COUNT(" in q["sql"] for q in cached.captured_queries)
    write(editor_client)
    assert count() == truth()


@pytest.mark.parametrize(
    ("url", "params", "bound"),
    [
        # timeline version, count, the page's ids (the search is a subquery of both), their
        # rows, then the seven nested lists of a measure page.
        ("/api/v1/measures/", {"q": "rare earth"}, 11),
        # the names searched, then count and page
        ("/api/v1/materials/", {"q": "rare earth"}, 6),
    ],
)
def test_search_queries_do_not_grow_with_page_size(client, many_measures, url, params, bound):
    small = count_queries(client, url, {**params, "page_size": 2})
    large = count_queries(client, url, {**params, "page_size": 500})
    assert small == large <= bound
