"""The questions the front page offers as live links: each a question in words, the picture
and the API answer that answer it. A question whose materials or jurisdictions the database
does not hold (an empty database, another dataset) is not offered. Edit this list to change
the front page."""

from __future__ import annotations

import dataclasses

from django.urls import reverse
from django.utils.http import urlencode

from timeline.models import Jurisdiction, Material


@dataclasses.dataclass(frozen=True)
class Question:
    text: str
    picture: dict[str, str] | None  # query of the timeline picture, or None
    api: dict[str, str]  # query of GET /api/v1/measures/
    materials: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()

    def picture_url(self) -> str | None:
        if self.picture is None:
            return None
        return f"{reverse('pages:timeline')}?{urlencode(self.picture)}"

    def api_url(self) -> str:
        return f"{reverse('api:measure-list')}?{urlencode(self.api)}"


QUESTIONS = (
    Question(
        "What happened to rare earths since 2023?",
        picture={"material": "rare-earth-elements", "from_year": "2023"},
        api={"material": "rare-earth-elements", "ordering": "effective_on"},
        materials=("rare-earth-elements",),
    ),
    Question(
        "Which Chinese controls cover dysprosium?",
        picture={"material": "dysprosium", "jurisdiction": "CN"},
        api={"material": "dysprosium", "jurisdiction": "CN"},
        materials=("dysprosium",),
        jurisdictions=("CN",),
    ),
    Question(
        "Which controls on dysprosium were in force on 1 June 2025?",
        picture=None,
        api={"material": "dysprosium", "in_force_on": "2025-06-01"},
        materials=("dysprosium",),
    ),
    Question(
        "What was suspended on 1 January 2026?",
        picture={"status": "suspended", "as_of": "2026-01-01"},
        api={"status": "suspended", "as_of": "2026-01-01"},
    ),
    Question(
        "What covers gallium and germanium, from any country?",
        picture={"material": "gallium,germanium"},
        api={"material": "gallium,germanium"},
        materials=("gallium", "germanium"),
    ),
    Question(
        "Which measures are aimed at the United States?",
        picture={"target": "US"},
        api={"target": "US", "ordering": "-announced_on"},
        jurisdictions=("US",),
    ),
)


def available_questions() -> list[Question]:
    """The questions whose materials and jurisdictions exist here (two queries)."""
    slugs = {slug for question in QUESTIONS for slug in question.materials}
    codes = {code for question in QUESTIONS for code in question.jurisdictions}
    known_slugs = set(Material.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    known_codes = set(Jurisdiction.objects.filter(code__in=codes).values_list("code", flat=True))
    return [
        question
        for question in QUESTIONS
        if set(question.materials) <= known_slugs and set(question.jurisdictions) <= known_codes
    ]
