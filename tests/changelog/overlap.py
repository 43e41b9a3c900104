"""Two overlapping writing transactions, each on its own connection in its own thread, with a
reader polling the feed between their commits; run as a program against a migrated database
(DATABASE_URL) and prints what the reader saw, as JSON. The test of the feed's guarantee runs
it on SQLite and on PostgreSQL."""

import json
import os
import sys
import threading

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regwatch.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402

from changelog.cursor import changes_after  # noqa: E402
from timeline.models import Material, Sector  # noqa: E402

WAIT = 60


def poll(after: int | None) -> tuple[list[str], int | None]:
    rows = list(changes_after(after).values_list("key", "position"))
    connection.close()
    return [key for key, _ in rows], (rows[-1][1] if rows else after)


def started_first_commits_last() -> dict:
    """T1 begins and reads before T2 exists; T2 writes and commits; only then does T1 write
    and commit. A reader polls after each commit. (SQLite begins write transactions
    IMMEDIATE: there T2 cannot begin before T1 ends, so T1 waits only for T2 to try.)"""
    t1_began, t2_trying = threading.Event(), threading.Event()
    t2_committed, t1_committed = threading.Event(), threading.Event()
    first_polled = threading.Event()
    serialised = connection.vendor == "sqlite"

    def t1():
        with transaction.atomic():
            Sector.objects.count()  # T1 is under way, its snapshot taken
            t1_began.set()
            assert (t2_trying if serialised else t2_committed).wait(WAIT)
            # Where T2 commits first, the reader polls between the two commits: on a busy
            # machine T1 could otherwise commit before that poll and the scenario not happen.
            assert serialised or first_polled.wait(WAIT)
            Material.objects.create(slug="started-first", name="Started first")
        connection.close()
        t1_committed.set()

    def t2():
        assert t1_began.wait(WAIT)
        t2_trying.set()
        with transaction.atomic():
            Material.objects.create(slug="started-second", name="Started second")
        connection.close()
        t2_committed.set()

    threads = [threading.Thread(target=t1), threading.Thread(target=t2)]
    for thread in threads:
        thread.start()
    assert (t1_committed if serialised else t2_committed).wait(WAIT)
    first, cursor = poll(None)
    first_polled.set()
    assert t2_committed.wait(WAIT) and t1_committed.wait(WAIT)
    second, _ = poll(cursor)
    for thread in threads:
        thread.join()
    return {
        "vendor": connection.vendor,
        "first_poll": first,
        "second_poll": second,
        "all": poll(None)[0],
    }


def first_writer_holds_the_second() -> dict:
    """T1 writes a change and stays open; T2 then writes one; a reader polls while T1 is
    open, then after both commit."""
    t1_wrote, t2_trying, release = threading.Event(), threading.Event(), threading.Event()
    done = []

    def t1():
        with transaction.atomic():
            Material.objects.create(slug="first-writer", name="First writer")
            t1_wrote.set()
            assert release.wait(WAIT)
        connection.close()

    def t2():
        assert t1_wrote.wait(WAIT)
        t2_trying.set()
        with transaction.atomic():
            Material.objects.create(slug="second-writer", name="Second writer")
        connection.close()
        done.append(True)

    threads = [threading.Thread(target=t1), threading.Thread(target=t2)]
    for thread in threads:
        thread.start()
    assert t2_trying.wait(WAIT)
    during, cursor = poll(None)
    release.set()
    for thread in threads:
        thread.join()
    after_both, _ = poll(cursor)
    return {"during": during, "after_both": after_both, "all": poll(None)[0]}


if __name__ == "__main__":
    scenario = {f.__name__: f for f in (started_first_commits_last, first_writer_holds_the_second)}
    json.dump(scenario[sys.argv[1]](), sys.stdout)
