from rest_framework import serializers

from api.serializers import MeasureSnapshotSerializer

from .models import Action, Kind


class ChangeSerializer(serializers.Serializer):
    cursor = serializers.CharField(
        help_text="Opaque position of this change in the feed: pass it as `after` to resume."
    )
    kind = serializers.ChoiceField(choices=Kind.choices, help_text="Kind of record changed.")
    key = serializers.CharField(
        help_text="The record's natural key: a measure's key, a jurisdiction's code, a slug."
    )
    action = serializers.ChoiceField(choices=Action.choices, help_text="What happened to it.")
    changed_at = serializers.DateTimeField(help_text="When the change was recorded (UTC).")
    version = serializers.IntegerField(
        help_text="The history version the change recorded (for a measure: its history)."
    )
    measure = MeasureSnapshotSerializer(
        allow_null=True,
        help_text="For a created or updated measure, the measure as the change left it; null "
        "for a deletion (a tombstone: the key and the action say what is gone) and for other "
        "kinds.",
    )


class ChangePageSerializer(serializers.Serializer):
    results = ChangeSerializer(many=True, help_text="Changes in the order they became visible.")
    next_cursor = serializers.CharField(
        allow_null=True,
        help_text="Pass as `after` to get the changes after this page (the `after` given when "
        "the page is empty; null when the feed is empty and no `after` was given).",
    )
    next = serializers.URLField(
        allow_null=True, help_text="The address of the next page (same filters), or null."
    )
