"""django-prometheus's SQLite engine (queries counted and timed for /metrics), building its
instrumented cursor class once per connection rather than once per cursor: the library makes
a new class for every ``cursor()``, a twentieth of the CPU of a detail answered directly.
(Its PostgreSQL engine already builds the class once per connection.)"""

from django.utils.functional import cached_property
from django_prometheus.db.backends.sqlite3 import base
from django_prometheus.db.common import ExportingCursorWrapper

DatabaseFeatures = base.DatabaseFeatures


class DatabaseWrapper(base.DatabaseWrapper):
    @cached_property
    def _exporting_cursor_class(self) -> type:
        return ExportingCursorWrapper(self.CURSOR_CLASS, self.alias, self.vendor)

    def create_cursor(self, name=None):
        return self.connection.cursor(factory=self._exporting_cursor_class)
