"""Query parameters, read strictly. A client that misspells a parameter, repeats one that takes
a single value, or writes a date another way than the API does gets a 400 naming the parameter
and saying what it expected, never an answer to a question it did not ask.

The rules (also in the README, "Parameters"):
- only the parameters an operation documents, and ``format``, are accepted;
- a parameter that takes a list takes it comma-separated, or repeated (the same thing), with
  spaces around commas trimmed; an empty item (``CN,,US``, ``key,``) is refused, and so is
  a parameter given empty (``status=``): leave out what you do not mean to ask;
- a parameter that takes one value may be given once;
- days are ``YYYY-MM-DD`` and moments RFC 3339 (``2025-06-01T00:00:00Z``), nothing else.
"""

from __future__ import annotations

import datetime
import difflib
import re
from collections.abc import Callable, Collection, Iterable

from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import QuerySet
from django.http import QueryDict
from django_filters.fields import BaseCSVField
from drf_spectacular.drainage import set_override
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.mixins import ListModelMixin

FORMAT_PARAMETER = "format"
# Error codes of the parameter contract, as the 400 answers and the schema name them.
UNKNOWN_PARAMETER = "unknown_parameter"
REPEATED_PARAMETER = "repeated_parameter"
EMPTY_VALUE = "empty_value"
# Names other APIs use for ours, suggested when closeness of spelling finds nothing.
KNOWN_ALIASES = {
    "date_from": "date_after",
    "date_to": "date_before",
    "from": "date_after",
    "to": "date_before",
    "since": "updated_since",
    "modified_since": "updated_since",
    "country": "jurisdiction",
    "search": "q",
    "query": "q",
    "sort": "ordering",
    "order_by": "ordering",
    "limit": "page_size",
    "per_page": "page_size",
    "on": "in_force_on",
    "date": "in_force_on",
}
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
RFC3339_MOMENT = re.compile(
    r"(?P<day>\d{4}-\d{2}-\d{2})[Tt](?P<time>\d{2}:\d{2}:\d{2})(?P<fraction>\.\d+)?"
    r"(?P<offset>[Zz]|[+-]\d{2}:\d{2})"
)
DATE_SCHEMA = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
MOMENT_SCHEMA = {"type": "string", "format": "date-time"}
SUGGESTION_CANDIDATES = 5000


def did_you_mean(
    word: str, candidates: Iterable[str], aliases: dict[str, str] | None = None
) -> str:
    """`` Did you mean `x`?`` for the name other APIs use for ``x``, else the closest
    spelling among ``candidates``; an empty string when nothing is close."""
    candidates = list(candidates)
    alias = (aliases or {}).get(word.lower())
    close = [alias] if alias in candidates else []
    close = close or difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    close = close or difflib.get_close_matches(word.lower(), candidates, n=1, cutoff=0.6)
    return f" Did you mean `{close[0]}`?" if close else ""


def nearest_values(word: str, queryset: QuerySet, field: str) -> str:
    """A suggestion among the values of ``field``: the whole column when it is small, else the
    values sharing the word's first letters (this runs only on the error path)."""
    values = list(queryset.values_list(field, flat=True)[: SUGGESTION_CANDIDATES + 1])
    if len(values) > SUGGESTION_CANDIDATES:
        values = list(
            queryset.filter(**{f"{field}__istartswith": word[:3]}).values_list(field, flat=True)[
                :SUGGESTION_CANDIDATES
            ]
        )
    return did_you_mean(word, values)


def reference_format(model, field: str) -> str:
    """The OpenAPI ``format`` of a value that must be an existing record's natural key
    (``material-slug``, ``jurisdiction-code``): a rule a schema cannot state, named so that
    readers and generators (the schemathesis hooks in the tests) know which values exist."""
    return f"{model._meta.model_name}-{field}"


# ---------------------------------------------------------------- which parameters


def check_query_parameters(
    query: QueryDict, accepted: Collection[str], list_valued: Collection[str]
) -> None:
    """Refuse parameters outside ``accepted`` and repeats of single-valued ones, all at once."""
    errors: dict[str, list[str]] = {}
    for name, values in query.lists():
        if name not in accepted:
            documented = sorted(set(accepted) - {FORMAT_PARAMETER})
            hint = did_you_mean(name, accepted, KNOWN_ALIASES)
            listing = ", ".join(documented) if documented else "none"
            errors[name] = [
                ErrorDetail(
                    f"Unknown query parameter `{name}`.{hint} This operation accepts: {listing}.",
                    code=UNKNOWN_PARAMETER,
                )
            ]
        elif any(not value.strip() for value in values):
            errors[name] = [
                ErrorDetail(
                    f"`{name}` is empty (or only spaces): give it a value, or leave it out.",
                    code=EMPTY_VALUE,
                )
            ]
        elif len(values) > 1 and name not in list_valued:
            errors[name] = [
                ErrorDetail(
                    f"`{name}` takes one value and was given {len(values)} times.",
                    code=REPEATED_PARAMETER,
                )
            ]
    if errors:
        raise ValidationError(errors)


def merged_query(query: QueryDict, list_valued: Collection[str]) -> QueryDict:
    """``a=1&a=2`` as ``a=1,2`` for list parameters, so both spellings mean the same."""
    merged = QueryDict(mutable=True)
    for name, values in query.lists():
        if name in list_valued and len(values) > 1:
            merged[name] = ",".join(values)
        else:
            merged.setlist(name, values)
    return merged


def list_valued_filters(filterset_class) -> set[str]:
    from django_filters.filters import BaseCSVFilter

    return {
        name
        for name, item in filterset_class.base_filters.items()
        if isinstance(item, BaseCSVFilter)
    }


class StrictQueryParametersMixin:
    """For views: accept exactly the parameters the operation documents (its filters, paging
    on lists, ``format`` everywhere, and ``extra_query_parameters`` by action or method)."""

    extra_query_parameters: dict[str, Collection[str]] = {}

    def is_listing(self) -> bool:
        action = getattr(self, "action", None)
        if action is not None:
            return action == "list"
        return isinstance(self, ListModelMixin) and self.request.method in ("GET", "HEAD")

    def accepted_query_parameters(self) -> tuple[set[str], set[str]]:
        """(accepted names, names that take a list)."""
        accepted, list_valued = {FORMAT_PARAMETER}, set()
        filterset_class = getattr(self, "filterset_class", None)
        if self.is_listing():
            if filterset_class is not None and getattr(self, "filter_backends", None):
                accepted |= set(filterset_class.base_filters)
                list_valued |= list_valued_filters(filterset_class)
            paginator = getattr(self, "paginator", None)
            if paginator is not None:
                accepted |= {paginator.page_query_param, paginator.page_size_query_param}
        key = getattr(self, "action", None) or self.request.method.lower()
        accepted |= set(self.extra_query_parameters.get(key, ()))
        return accepted, list_valued

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if getattr(self, request.method.lower(), None) is None:
            return  # dispatch answers 405: the method has no parameters to check
        accepted, list_valued = self.accepted_query_parameters()
        check_query_parameters(request.query_params, accepted, list_valued)


# ---------------------------------------------------------------- form fields


def whole_number(raw: str) -> int | None:
    """``raw`` read as a whole number: ASCII digits only (``int()`` also takes " 2", "+2", "2.0"
    with Django's forms, and other scripts' digits) and no longer than Python reads (4,300
    digits); else None. The one reading of ``page``, ``page_size`` and the feed's ``limit``."""
    if not (raw.isascii() and raw.isdigit()):
        return None
    try:
        return int(raw)
    except ValueError:
        return None


class WholeNumberField(forms.IntegerField):
    """An integer field reading its text by ``whole_number``."""

    def to_python(self, value):
        if isinstance(value, str) and value not in self.empty_values:
            number = whole_number(value)
            if number is None:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            return number
        return super().to_python(value)


class ISODateField(forms.DateField):
    """A day as ``YYYY-MM-DD`` and nothing else: no locale formats (06/01/2025 is 1 June in
    one country and 6 January in another), no ISO week or basic forms."""

    default_error_messages = {
        "invalid": "Give a day as YYYY-MM-DD, e.g. 2025-06-01.",
        "no_such_day": "%(value)s is not a day of the calendar (YYYY-MM-DD).",
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.date):
            return value
        if not ISO_DATE.fullmatch(value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise forms.ValidationError(
                self.error_messages["no_such_day"], code="no_such_day", params={"value": value}
            ) from None


class RFC3339Field(forms.DateTimeField):
    """A moment as RFC 3339 (section 5.6): date, ``T``, time and an offset (``Z`` or
    ``±hh:mm``), fractions of a second optional. The offset is required: a moment without
    one is not a moment. Kept with its own offset (see ``latest_instant``)."""

    default_error_messages = {
        "invalid": "Give a moment as RFC 3339, e.g. 2025-06-01T00:00:00Z or "
        "2025-06-01T08:00:00+08:00.",
        "plus_as_space": "The offset's `+` arrived as a space: write it as %(plus)s in a URL "
        "(2025-06-01T08:00:00%(plus)s08:00), or give the moment in UTC with Z.",
        "no_such_moment": "%(value)s is not a moment of the calendar.",
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            return value
        match = RFC3339_MOMENT.fullmatch(value)
        if match is None:
            if re.fullmatch(r"\S+ \d{2}:\d{2}", value):
                raise forms.ValidationError(
                    self.error_messages["plus_as_space"],
                    code="plus_as_space",
                    params={"plus": "%2B"},
                )
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        fraction = (match["fraction"] or "")[:7]  # microseconds: Python keeps six digits
        offset = "+00:00" if match["offset"] in "Zz" else match["offset"]
        try:
            return datetime.datetime.fromisoformat(
                f"{match['day']}T{match['time']}{fraction}{offset}"
            )
        except ValueError:
            raise forms.ValidationError(
                self.error_messages["no_such_moment"],
                code="no_such_moment",
                params={"value": value},
            ) from None

    def prepare_value(self, value):
        return value


def in_utc(moment: datetime.datetime) -> datetime.datetime | None:
    """``moment`` in UTC, or None when that falls outside the years 1 to 9999 (for example
    9999-12-31T23:59:59-14:00). PostgreSQL would take it; Python and SQLite cannot."""
    try:
        return moment.astimezone(datetime.UTC)
    except OverflowError:
        return None


class StrictCSVField(BaseCSVField):
    """Comma-separated values, spaces around commas trimmed. An empty item is refused (it is
    a mistake in the client's URL, not a wish); an empty parameter is no parameter. Repeats of
    the parameter arrive here already joined by commas (``merged_query``)."""

    default_error_messages = {
        "empty_item": "Item %(position)s is empty: separate values by single commas, "
        "without a trailing comma.",
    }

    def clean(self, value):
        if value is None or value == []:
            return None
        if isinstance(value, str):
            value = value.split(",")
        items = [item.strip() for item in value]
        for position, item in enumerate(items, start=1):
            # Before any lookup: PostgreSQL cannot compare text holding a NUL character.
            ProhibitNullCharactersValidator()(item)
            if not item:
                raise forms.ValidationError(
                    self.error_messages["empty_item"],
                    code="empty_item",
                    params={"position": position},
                )
        return self.clean_items(list(dict.fromkeys(items)))

    def clean_items(self, items: list[str]) -> list:
        return [forms.Field.clean(self, item) for item in items]


class ChoiceCSVField(StrictCSVField, forms.CharField):
    """Several values from a fixed vocabulary; an unknown one lists the vocabulary."""

    default_error_messages = {"invalid_choice": "Unknown value."}

    def __init__(self, *args, choices=(), **kwargs):
        kwargs.pop("null_label", None)
        self.allowed = [str(value) for value, _ in choices]
        super().__init__(*args, **kwargs)

    def clean_items(self, items: list[str]) -> list[str]:
        unknown = [item for item in items if item not in self.allowed]
        if unknown:
            hint = did_you_mean(unknown[0], self.allowed)
            raise forms.ValidationError(
                "Unknown value %(values)s.%(hint)s Choose from: %(allowed)s.",
                code="invalid_choice",
                params={
                    "values": ", ".join(f"`{item}`" for item in unknown),
                    "hint": hint,
                    "allowed": ", ".join(self.allowed),
                },
            )
        return items


class ModelCSVField(StrictCSVField, forms.CharField):
    """Several natural keys (slugs, codes), looked up in one query. Unknown ones are named,
    with the nearest known value. ``normalize`` maps input onto stored spelling (ISO codes
    are upper-case whatever the client wrote)."""

    default_error_messages = {"unknown": "Unknown value."}

    def __init__(
        self,
        *args,
        queryset: QuerySet,
        to_field_name: str,
        normalize: Callable[[str], str] | None = None,
        **kwargs,
    ):
        self.queryset = queryset
        self.to_field_name = to_field_name
        self.normalize = normalize
        super().__init__(*args, **kwargs)

    def clean_items(self, items: list[str]) -> list:
        if self.normalize is not None:
            items = list(dict.fromkeys(self.normalize(item) for item in items))
        found = list(self.queryset.filter(**{f"{self.to_field_name}__in": items}))
        known = {getattr(obj, self.to_field_name) for obj in found}
        unknown = [item for item in items if item not in known]
        if unknown:
            hint = nearest_values(unknown[0], self.queryset, self.to_field_name)
            raise forms.ValidationError(
                "Unknown %(name)s: %(values)s.%(hint)s",
                code="unknown",
                params={
                    "name": self.to_field_name,
                    "values": ", ".join(f"`{item}`" for item in unknown),
                    "hint": hint,
                },
            )
        return found


class OrderingCSVField(StrictCSVField, forms.CharField):
    """Sort keys, each a field name with an optional ``-``. A field named again changes
    nothing (the rows are already in its order), so ``date,-date`` sorts by date."""

    default_error_messages = {"invalid_choice": "Unknown field."}

    def __init__(self, *args, fields: Collection[str] = (), **kwargs):
        kwargs.pop("choices", None)
        kwargs.pop("null_label", None)
        self.fields = list(fields)
        super().__init__(*args, **kwargs)

    def clean_items(self, items: list[str]) -> list[str]:
        names = [item.removeprefix("-") for item in items]
        for item, name in zip(items, names, strict=True):
            if name not in self.fields:
                hint = did_you_mean(name, self.fields)
                raise forms.ValidationError(
                    "Cannot sort by `%(item)s`.%(hint)s Sort by %(fields)s, each optionally "
                    "prefixed with `-` for descending.",
                    code="invalid_choice",
                    params={"item": item, "hint": hint, "fields": ", ".join(self.fields)},
                )
        first = {}
        for item, name in zip(items, names, strict=True):
            first.setdefault(name, item)
        return list(first.values())


def document(filter_instance, schema: dict) -> None:
    """Give a filter's parameter (or, for a list, each item) this OpenAPI schema."""
    help_text = filter_instance.extra.get("help_text")
    set_override(filter_instance, "field", {**schema, "description": str(help_text or "")})
