from django.core.management.base import BaseCommand
from django.db import transaction

from timeline.search.index import rebuild_index


class Command(BaseCommand):
    help = (
        "Rewrite the search index of every measure, in one transaction: after editing "
        "timeline/search/synonyms.txt or upgrading the stemmer."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            count = rebuild_index()
        self.stdout.write(f"Indexed {count} measures.")
