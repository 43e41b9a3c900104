from django.core.management.base import BaseCommand, CommandError

from timeline.importers import (
    DEMO_FILES,
    FORMATS,
    REASON_LENGTH,
    LoadError,
    load,
    read_documents,
)
from timeline.models import Measure


class Command(BaseCommand):
    help = (
        "Load measures, materials and reference data from files in the dataset format: JSON, "
        "or CSV (one row per measure) for names ending in .csv; no file: the bundled demo "
        "data. Validated and atomic: any problem writes nothing. Prints what it created and "
        "updated, field by field, and warns about what it ignored."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", metavar="FILE", help="Files to load.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Validate and report, then write nothing."
        )
        parser.add_argument("--strict", action="store_true", help="Refuse the load on any warning.")
        parser.add_argument(
            "--format", choices=FORMATS, help="Read every file as this format (default: by name)."
        )
        parser.add_argument(
            "--reason", default=None, help="Why, for the history (default: load_timeline)."
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Load only into a database that holds no measure yet (make run uses it, so a "
            "restart keeps the edits made since the first load).",
        )

    def handle(self, *args, files, dry_run, strict, format, reason, verbosity, **options):
        if reason is not None and not 0 < len(reason) <= REASON_LENGTH:
            raise CommandError(f"--reason takes 1 to {REASON_LENGTH} characters.")
        if options["if_empty"] and Measure.objects.exists():
            self.stdout.write(
                "The database already holds measures: nothing loaded (--if-empty). Run "
                "load_timeline without it to load the files over them."
            )
            return
        try:
            documents = read_documents(files or DEMO_FILES, format=None if not files else format)
            report = load(documents, dry_run=dry_run, strict=strict, reason=reason)
        except LoadError as error:
            raise CommandError(f"Nothing was loaded:\n{error}") from error
        for line in report.lines(details=verbosity >= 1):
            self.stdout.write(line)
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
