from django.core.management.base import BaseCommand
from django.db import transaction

from timeline.reference_data.jurisdictions import sync_jurisdictions


class Command(BaseCommand):
    help = (
        "Bring the built-in reference data up to date: ISO 3166-1 countries (from the installed "
        "pycountry) and RegWatch's blocs and organisations. Creates what is missing, updates "
        "names and kinds, reports what changed; deletes nothing unless asked, and never a "
        "jurisdiction in use. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--prune",
            action="store_true",
            help="Also delete jurisdictions the reference data does not know, if nothing "
            "refers to them.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change, write nothing."
        )

    def handle(self, *args, prune, dry_run, **options):
        with transaction.atomic():
            reports = [sync_jurisdictions(prune=prune)]
            if dry_run:
                transaction.set_rollback(True)
        for report in reports:
            for line in report.lines():
                self.stdout.write(line)
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
