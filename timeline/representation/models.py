"""The stored representations' rows: one per measure, kept by ``timeline.representation.store``."""

from django.db import models


class MeasureRepresentation(models.Model):
    """A measure as the API shows it, less what each request decides (see the package)."""

    measure = models.OneToOneField(
        "timeline.Measure",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="representation",
    )
    created_at = models.DateTimeField(
        null=True,
        help_text="The measure's created_at when this was built (null: built before the body "
        "held the times): used only while it is the same.",
    )
    updated_at = models.DateTimeField(
        help_text="The measure's updated_at when this was built: used only while it is the same."
    )
    body = models.TextField(
        help_text="JSON object: the measure's fields in the API's order; url, status, "
        "status_confirmed and status_certain are null (set per read)."
    )
    status_inputs = models.TextField(
        help_text='JSON object: what the status rule reads, {"dates": {"announced_on": '
        '["YYYY-MM-DD" or null, precision], ...}, "events": [["YYYY-MM-DD", precision, type, '
        "scheduled], ...]} (recorded events, in date order)."
    )

    class Meta:
        verbose_name = "measure representation"

    def __str__(self) -> str:
        return f"representation of measure {self.measure_id} as of {self.updated_at}"
