from django.apps import AppConfig


class TimelineConfig(AppConfig):
    name = "timeline"
    verbose_name = "Timeline"

    def ready(self) -> None:
        from . import changes, hs_matching, protection, versioning

        versioning.connect_signals()
        hs_matching.connect_signals()
        changes.connect_signals()
        protection.connect_signals()
