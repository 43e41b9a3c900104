from django.contrib import admin

from .models import Change


@admin.register(Change)
class ChangeAdmin(admin.ModelAdmin):
    """The change log, read-only: it is written by the writes it records."""

    list_display = ["position", "kind", "key", "action", "version", "changed_at"]
    list_filter = ["kind", "action"]
    search_fields = ["key"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
