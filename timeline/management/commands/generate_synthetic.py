import time

from django.core.management.base import BaseCommand

from timeline.synthetic import generate


class Command(BaseCommand):
    help = (
        "Add a large, realistic, deterministic synthetic timeline (for benchmarks): measures "
        "with about five events each, ~300 materials in nested groups, 60 jurisdictions."
    )

    def add_arguments(self, parser):
        parser.add_argument("--measures", type=int, default=100_000, help="How many measures.")
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same data.")

    def handle(self, *args, measures, seed, **options):
        started = time.monotonic()
        counts = generate(
            measures=measures,
            seed=seed,
            progress=lambda done: self.stderr.write(f"  {done} measures", ending="\r"),
        )
        self.stderr.write("")
        self.stdout.write(
            f"{counts['measures']} measures, {counts['events']} events, "
            f"{counts['materials']} material links, {counts['suspended']} suspended, "
            f"in {time.monotonic() - started:.0f} s"
        )
