"""Lists as files and feeds: CSV, Excel, NDJSON, Atom and iCalendar answers of the list
endpoints, chosen by ``?format=`` or ``Accept``, streamed row by row over the same filtered,
ordered queryset as the JSON list and built by the same row builder (``views.ExportMixin``)."""
