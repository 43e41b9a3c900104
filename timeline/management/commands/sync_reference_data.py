from django.core.management.base import BaseCommand
from django.db import transaction

from timeline.models import HSCode, Material
from timeline.reference_data.hs import sync_hs_codes
from timeline.reference_data.jurisdictions import sync_jurisdictions


class Command(BaseCommand):
    help = (
        "Bring the built-in reference data up to date: ISO 3166-1 countries (from the installed "
        "pycountry), RegWatch's blocs and organisations, and the HS nomenclature shipped with "
        "RegWatch. Creates what is missing, updates names and kinds, reports what changed; "
        "deletes no jurisdiction unless asked, and never one in use. Safe to run again."
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
            reports = [sync_jurisdictions(prune=prune), sync_hs_codes()]
            reports[1].notes += invalid_material_codes()
            if dry_run:
                transaction.set_rollback(True)
        for report in reports:
            for line in report.lines():
                self.stdout.write(line)
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")


def invalid_material_codes() -> list[str]:
    """Materials whose HS codes the nomenclature, as it now stands, does not accept: an edition
    change can drop a code a material lists. They stay as they are until someone edits them."""
    notes = []
    for material in Material.objects.only("slug", "hs_codes").order_by("slug"):
        problems = HSCode.objects.problems(material.hs_codes)
        if problems:
            notes.append(f"material {material.slug}: {' '.join(problems)}")
    return notes
