"""Each measure's representation, stored: what the API shows of a measure, built once on write
instead of on every read.

A page of 50 measures built from their tables is eight queries and the Python that joins them,
a third of the time of a list request; read stored, it is the page's rows. What depends on the
request is not stored: the measure's address (``url``, from the host asked) and its status on
the day asked about, computed at read time by the status rule over the dates and events kept
with it (``status_on_day``).

The write paths rewrite a measure's row in their transaction (``refresh``), where they also
rebuild its in-force periods and its search document: ``services.save_measure``,
``create_measures``, the admin, the loader's restored timestamps, the synthetic generator, and
``changes`` after a row that measures show (a material's name, an authority's slug...) changes.
A row is used only while its ``created_at`` and ``updated_at`` are the measure's (the body holds
both as the API writes them): every write that changes how a measure is shown moves
``updated_at`` (``timeline.changes``, which clients syncing with ``updated_since`` rely on
too), and bringing a deleted measure back moves ``created_at``, so a write path that forgot to
refresh costs speed, never a stale answer. ``manage.py rebuild_representations`` writes every
row (after upgrading a database that has none; ``--not-current``: those that are not current).
"""
