import json
import sys

from django.core.management.base import BaseCommand

from timeline.exporter import export_document


class Command(BaseCommand):
    help = (
        "Write the whole timeline as JSON in the load_timeline format (to FILE, or standard "
        "output). load_timeline restores it exactly."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file", nargs="?", metavar="FILE", help="Where to write; default stdout."
        )

    def handle(self, *args, file, **options):
        text = json.dumps(export_document(), ensure_ascii=False, indent=2) + "\n"
        if file:
            with open(file, "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stderr.write(f"Exported to {file}.")
        else:
            sys.stdout.write(text)
