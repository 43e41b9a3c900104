"""The benchmark's questions: each operation's parameters, drawn with a fixed seed from the
whole space the dataset covers, and the address each server answers them at."""

from __future__ import annotations

import datetime
import random
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

OPERATIONS = ("measures_in_force", "measure_detail", "material_timeline", "events_range")
FIRST_DAY = datetime.date(1995, 1, 1)
LAST_DAY = datetime.date(2028, 12, 31)


class Space:
    """Everything a question can name: every material, every measure key, every day from
    1995 to 2028, and event windows of one week to one year."""

    def __init__(self, sqlite_path: Path | None = None, *, postgres_url: str | None = None):
        """The space of the dataset in the SQLite file ``sqlite_path``, or in the PostgreSQL
        database ``postgres_url``."""
        materials = "SELECT slug FROM timeline_material ORDER BY slug"
        keys = "SELECT key FROM timeline_measure ORDER BY key"
        if postgres_url is not None:
            import psycopg

            with psycopg.connect(postgres_url) as db:
                self.materials = [s for (s,) in db.execute(materials)]
                self.keys = sorted(k for (k,) in db.execute(keys))  # as SQLite sorts them
            return
        with sqlite3.connect(sqlite_path) as db:
            self.materials = [s for (s,) in db.execute(materials)]
            self.keys = [k for (k,) in db.execute(keys)]

    def day(self, rng: random.Random) -> datetime.date:
        return FIRST_DAY + datetime.timedelta(days=rng.randint(0, (LAST_DAY - FIRST_DAY).days))

    def draw(self, operation: str, rng: random.Random) -> dict[str, str]:
        if operation == "measures_in_force":
            return {"material": rng.choice(self.materials), "day": self.day(rng).isoformat()}
        if operation == "measure_detail":
            return {"key": rng.choice(self.keys)}
        if operation == "material_timeline":
            return {"material": rng.choice(self.materials)}
        after = self.day(rng)
        before = after + datetime.timedelta(days=rng.randint(7, 365))
        return {"after": after.isoformat(), "before": before.isoformat()}

    def draws(self, operation: str, count: int, seed: str) -> list[dict[str, str]]:
        """``count`` different questions for ``operation``, unless it has fewer (a material's
        timeline has one per material, a measure one per key): then all of them, in a drawn
        order, over and over. The same ``seed`` gives the same list."""
        rng = random.Random(f"{seed}/{operation}")
        named = {
            "measure_detail": ("key", self.keys),
            "material_timeline": ("material", self.materials),
        }
        if operation in named:
            field, names = named[operation]
            order = rng.sample(names, min(count, len(names)))
            return [{field: order[at % len(order)]} for at in range(count)]
        drawn: dict[tuple[str, ...], dict[str, str]] = {}
        while len(drawn) < count:  # millions of days and windows: a repeat is only redrawn
            question = self.draw(operation, rng)
            drawn.setdefault(tuple(question.values()), question)
        return list(drawn.values())


def regwatch_path(operation: str, p: dict[str, str]) -> str:
    return {
        "measures_in_force": f"/api/v1/measures/?material={p.get('material')}&in_force_on={p.get('day')}&page_size=50",
        "measure_detail": f"/api/v1/measures/{p.get('key')}/",
        "material_timeline": f"/api/v1/materials/{p.get('material')}/timeline/?page_size=50",
        "events_range": f"/api/v1/events/?date_after={p.get('after')}&date_before={p.get('before')}&page_size=50",
    }[operation]  # fmt: skip


def raw_path(operation: str, p: dict[str, str]) -> str:
    return f"/{operation}?{urlencode(p)}"


def datasette_path(database: str, operation: str, p: dict[str, str]) -> str:
    return f"/{database}/{operation}.json?_shape=array&{urlencode(p)}"
