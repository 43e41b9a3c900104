"""OpenAPI for the export formats: drf-spectacular lists a view's renderers as media types of
every answer and as the ``format`` parameter's values; this says what each one holds."""

from __future__ import annotations

from .views import ALL_FORMATS

RENDERERS = {renderer.media_type: renderer for renderer in ALL_FORMATS}
FORMATS = {
    "csv": "CSV with a header row (lists joined with `; `, cells a spreadsheet would run as "
    "formulas prefixed with `'`)",
    "xlsx": "an Excel workbook (typed cells, frozen header row)",
    "ndjson": "one JSON list item per line",
    "atom": "an Atom 1.0 feed of the measures, newest change first unless `ordering` is given",
    "ics": "an iCalendar of the dated timeline entries as all-day events with stable UIDs",
}
EXPORT_NOTE = (
    "Export formats (`?format=` or `Accept`) are not paged: every matching row is streamed, "
    "with the JSON list's filters and order (`page` and `page_size` are refused with them). "
    "Their ETag and Last-Modified are known before the body, so polling costs little; errors "
    "are JSON whatever the format."
)
LAST_MODIFIED = {
    "schema": {"type": "string"},
    "description": "Export formats only: the later of the timeline's last change and the "
    "start of today (UTC), for If-Modified-Since.",
}
CONTENT_DISPOSITION = {
    "schema": {"type": "string"},
    "description": "CSV and Excel only: an attachment named for the address and parameters, "
    "e.g. regwatch-measures_material-gallium.csv.",
}


def describe_exports(result, generator, request, public):
    """A 200 of an export format is text (a workbook: binary), described as such; error
    answers are JSON only; the ``format`` parameter says what each value gives."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            offered = []
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                exported = [media for media in content if media in RENDERERS]
                for media in exported:
                    if status != "200":
                        del content[media]
                        continue
                    binary = RENDERERS[media].charset is None
                    content[media] = {
                        "schema": {"type": "string", **({"format": "binary"} if binary else {})}
                    }
                    offered.append(RENDERERS[media].format)
                if status == "200" and exported:
                    headers = response.setdefault("headers", {})
                    headers["Last-Modified"] = LAST_MODIFIED
                    if "ETag" in headers and "xlsx" in offered:
                        headers["ETag"] = {
                            **headers["ETag"],
                            "description": f"{headers['ETag']['description']} An Excel "
                            "workbook's is weak (W/): its zip records when it was written.",
                        }
                    if {"csv", "xlsx"} & set(offered):
                        headers["Content-Disposition"] = CONTENT_DISPOSITION
            if not offered:
                continue
            operation["description"] = f"{operation.get('description', '')}\n\n{EXPORT_NOTE}"
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and parameter["name"] == "format":
                    listed = "; ".join(f"`{name}`: {FORMATS[name]}" for name in offered)
                    parameter["description"] = (
                        f"The representation: `json` (the default), or {listed}. The Accept "
                        "header chooses the same way."
                    )
    return result
