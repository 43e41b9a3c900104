import sys

from django.core.management.base import BaseCommand

from timeline.exporters import EXPORTERS


class Command(BaseCommand):
    help = (
        "Write the timeline in the dataset format (to FILE, or standard output): JSON, every "
        "record, which load_timeline restores exactly; or CSV, one row per measure, which "
        "load_timeline reads back unchanged."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file", nargs="?", metavar="FILE", help="Where to write; default stdout."
        )
        parser.add_argument(
            "--format", choices=sorted(EXPORTERS), default="json", help="Default: json."
        )

    def handle(self, *args, file, format, **options):
        exporter = EXPORTERS[format]
        if file:
            # newline="": the CSV writer ends rows with CRLF itself, as Excel does.
            with open(file, "w", encoding="utf-8", newline="") as handle:
                exporter.write(handle)
            self.stderr.write(f"Exported to {file}.")
        else:
            exporter.write(sys.stdout)
