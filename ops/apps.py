from django.apps import AppConfig


class OpsConfig(AppConfig):
    """What operators and their machines ask of a running process: health probes, metrics."""

    name = "ops"
    verbose_name = "Operations"
