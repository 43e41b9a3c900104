from django.apps import AppConfig


class TimelineConfig(AppConfig):
    name = "timeline"
    verbose_name = "Timeline"

    def ready(self) -> None:
        from .versioning import connect_signals

        connect_signals()
