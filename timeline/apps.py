from django.apps import AppConfig


class TimelineConfig(AppConfig):
    name = "timeline"
    verbose_name = "Timeline"

    def ready(self) -> None:
        from . import changes, counts, hs_matching, protection, versioning
        from .search import index as search_index

        versioning.connect_signals()
        hs_matching.connect_signals()
        changes.connect_signals()
        protection.connect_signals()
        search_index.connect_signals()
        counts.connect_signals()
