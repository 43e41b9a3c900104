from django.core.management.base import BaseCommand
from django.db import transaction

from timeline.counts import counts_differing, rebuild_counts
from timeline.matches import rebuild_materials


class Command(BaseCommand):
    help = (
        "Recount what is kept per material (measures in force per day, a timeline's events, "
        "the in-force periods per matched material) from the stored periods, events and group "
        "links, in one transaction. The write paths "
        "keep them; this is for a database changed behind them (raw SQL). With --check, only "
        "say whether they differ from a recount (exit status 1 if they do)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Compare with a recount; write nothing."
        )

    def handle(self, *args, **options):
        if options["check"]:
            differing = counts_differing()
            if differing:
                self.stderr.write(f"Differ from a recount: {', '.join(differing[:20])}")
                raise SystemExit(1)
            self.stdout.write("The kept counts equal a recount.")
            return
        with transaction.atomic():
            rebuild_counts()
            rebuild_materials()
        self.stdout.write("Recounted every material.")
