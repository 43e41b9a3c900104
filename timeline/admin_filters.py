"""The measures changelist's filters: status on a chosen day, measures needing review, and
materials as the tree of their groups."""

from __future__ import annotations

import datetime

from django.contrib import admin
from django.utils import timezone

from .models import Material
from .status import MeasureStatus


class StatusListFilter(admin.SimpleListFilter):
    """Status on a day the analyst picks (``status_on``, YYYY-MM-DD), today by default: the
    same rule as the API's ``status`` with ``as_of``."""

    title = "status"
    parameter_name = "status"
    day_parameter = "status_on"
    template = "admin/timeline/status_filter.html"

    def __init__(self, request, params, model, model_admin):
        raw = params.get(self.day_parameter)
        raw = raw[-1] if isinstance(raw, list) else raw
        self.day_text = raw or ""
        self.day_error = ""
        try:
            self.day = datetime.date.fromisoformat(raw) if raw else timezone.localdate()
        except ValueError:
            self.day = timezone.localdate()
            self.day_error = f"{raw!r} is not a day: give YYYY-MM-DD. Showing today."
        if raw is not None:
            params.pop(self.day_parameter)  # not a lookup for the changelist to apply
        super().__init__(request, params, model, model_admin)
        if raw is not None:
            self.used_parameters[self.day_parameter] = raw
        self.title = f"status on {self.day.isoformat()}"

    def expected_parameters(self):
        return [self.parameter_name, self.day_parameter]

    def lookups(self, request, model_admin):
        return MeasureStatus.choices

    def queryset(self, request, queryset):
        if self.value() in MeasureStatus.values:
            return queryset.with_status_in(self.day, [self.value()])
        return queryset

    def choices(self, changelist):
        # The day's form resends the other parameters (not the page: the list changes).
        self.other_parameters = [
            (name, value)
            for name, values in changelist.filter_params.items()
            if name not in (self.day_parameter, "p")
            for value in values
        ]
        # Every choice keeps the chosen day; "All" drops the status only.
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "All",
        }
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == str(value),
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }


class NeedsReviewListFilter(admin.SimpleListFilter):
    """Measures with a scheduled event whose day has passed: a plan that no source confirms
    yet. The changelist lists them oldest first (``MeasureAdmin.get_ordering``)."""

    title = "needs review"
    parameter_name = "needs_review"
    YES = "scheduled_passed"

    def lookups(self, request, model_admin):
        return [(self.YES, "a scheduled event has passed unconfirmed")]

    @classmethod
    def chosen(cls, request) -> bool:
        return request.GET.get(cls.parameter_name) == cls.YES

    def queryset(self, request, queryset):
        if self.value() == self.YES:
            return queryset.needing_review(timezone.localdate())
        return queryset


def material_tree() -> list[tuple[str, str, int]]:
    """(slug, name, depth) of every material, depth first: each material that sits in no
    group, and under each group its members, indented one level deeper (a material in two
    groups appears under both), by name at every level. Two queries."""
    names = dict(Material.objects.values_list("pk", "name"))
    slugs = dict(Material.objects.values_list("pk", "slug"))
    members: dict[int, list[int]] = {}
    grouped: set[int] = set()
    for member, group in Material.groups.through.objects.values_list(
        "from_material_id", "to_material_id"
    ):
        members.setdefault(group, []).append(member)
        grouped.add(member)
    tree: list[tuple[str, str, int]] = []

    def walk(pk: int, depth: int, path: frozenset) -> None:
        tree.append((slugs[pk], names[pk], depth))
        for member in sorted(members.get(pk, ()), key=names.__getitem__):
            if member not in path:
                walk(member, depth + 1, path | {member})

    for pk in sorted(set(names) - grouped, key=names.__getitem__):
        walk(pk, 0, frozenset({pk}))
    return tree


class MaterialListFilter(admin.SimpleListFilter):
    """Material with group expansion, the same matching the API uses, offered as the tree of
    groups and their members."""

    title = "material (with its groups and members)"
    parameter_name = "material"
    INDENT = "\u00a0\u00a0\u00a0\u00a0"

    def lookups(self, request, model_admin):
        return [
            (slug, f"{self.INDENT * depth}{'└ ' if depth else ''}{name}")
            for slug, name, depth in material_tree()
        ]

    def choices(self, changelist):
        # A material in two groups is listed twice; only one of its entries shows as chosen.
        seen = False
        for choice in super().choices(changelist):
            if choice["selected"] and choice["display"] != "All":
                choice["selected"], seen = not seen, True
            yield choice

    def queryset(self, request, queryset):
        material = Material.objects.filter(slug=self.value()).first() if self.value() else None
        if material is not None:
            return queryset.matching_materials([material])
        return queryset
