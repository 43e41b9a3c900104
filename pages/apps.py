from django.apps import AppConfig


class PagesConfig(AppConfig):
    """Pages people look at: the front page and the timeline pictures (the JSON API is
    ``api``)."""

    name = "pages"
    verbose_name = "Pages"
