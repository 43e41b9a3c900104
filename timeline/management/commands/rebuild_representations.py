from django.core.management.base import BaseCommand
from django.db import transaction

from timeline.representation.store import rebuild_all


class Command(BaseCommand):
    help = (
        "Rewrite the stored representation of every measure, in one transaction. Needed only "
        "for a database whose measures were written before representations were stored: until "
        "then the API builds those on every read, slower but with the same answers."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--not-current",
            action="store_true",
            help="Only the measures without a current one (one query when there are none).",
        )

    def handle(self, *args, **options):
        with transaction.atomic():
            count = rebuild_all(only_not_current=options["not_current"])
        self.stdout.write(f"Stored the representations of {count} measures.")
