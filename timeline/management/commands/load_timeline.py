from django.core.management.base import BaseCommand, CommandError

from timeline.loader import DEMO_FILES, LoadError, load, read_documents


class Command(BaseCommand):
    help = (
        "Load measures, materials and reference data from JSON files in the dataset format "
        "(no file: the bundled demo data). Validated, idempotent and atomic."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", metavar="FILE", help="JSON files to load.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Validate and report, then write nothing."
        )

    def handle(self, *args, files, dry_run, **options):
        try:
            report = load(read_documents(files or DEMO_FILES), dry_run=dry_run)
        except LoadError as error:
            raise CommandError(f"Nothing was loaded:\n{error}") from error
        for line in report.lines():
            self.stdout.write(line)
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
