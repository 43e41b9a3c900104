import sys

from django.core.management.base import BaseCommand

from timeline.exporters import EXPORTERS


class Command(BaseCommand):
    help = (
        "Write the whole timeline as JSON in the load_timeline format (to FILE, or standard "
        "output). load_timeline restores it exactly."
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
            with open(file, "w", encoding="utf-8") as handle:
                exporter.write(handle)
            self.stderr.write(f"Exported to {file}.")
        else:
            exporter.write(sys.stdout)
