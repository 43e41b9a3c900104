from django.apps import AppConfig


class ChangelogConfig(AppConfig):
    name = "changelog"
    verbose_name = "Change log"

    def ready(self) -> None:
        from . import recording

        recording.connect_signals()
