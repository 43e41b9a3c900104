"""How text becomes search terms, the same way for what is indexed and what is asked.

Text is folded to lower case without accents (Unicode NFKD, combining marks dropped), cut into
words at anything that is not a letter or digit (so ``rare-earth`` is ``rare earth`` and
``2805.30`` is ``2805 30``; apostrophes join, so ``People's`` is ``peoples``), and each word is
stemmed with the Snowball English stemmer (``earths`` is ``earth``). Both database backends then
index and match these prepared words as they are, so they agree on every answer.

Synonyms (``synonyms.txt`` beside this module) give each group of equivalent words or phrases a
term of its own: a document containing any of them is indexed with that term too, and a query
phrase that is one of them asks for that term.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import snowballstemmer

SYNONYMS_FILE = Path(__file__).with_name("synonyms.txt")
# A synonym group's term: a prefix no English word starts with, then the group's first phrase.
GROUP_TERM_PREFIX = "zsyn"
WORD = re.compile(r"[^\W_]+")
APOSTROPHES = re.compile(r"['\u2019]")
# A last word this long or longer also matches words it begins (search as you type).
PREFIX_MIN_LENGTH = 3


@functools.cache
def _stemmer():
    return snowballstemmer.stemmer("english")


def fold(text: str) -> str:
    """Lower case, without accents or apostrophes: ``"Bézier's"`` is ``"beziers"``."""
    text = APOSTROPHES.sub("", text)
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    # The pure-Python stemmer costs tens of microseconds a word; a timeline's words repeat.
    return _stemmer().stemWord(word)


def words(text: str) -> list[str]:
    """The stemmed words of ``text``, in order."""
    return [stem(word) for word in WORD.findall(fold(text or ""))]


@dataclass(frozen=True)
class Synonyms:
    """Phrases (tuples of stemmed words) and the group terms each belongs to."""

    groups: dict[tuple[str, ...], tuple[str, ...]]
    longest: int
    first_words: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str) -> Synonyms:
        groups: dict[tuple[str, ...], set[str]] = {}
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            phrases = [tuple(words(phrase)) for phrase in line.split(",")]
            phrases = [phrase for phrase in phrases if phrase]
            if len(phrases) < 2:
                continue
            term = GROUP_TERM_PREFIX + "".join(phrases[0])
            for phrase in phrases:
                groups.setdefault(phrase, set()).add(term)
        return cls(
            groups={phrase: tuple(sorted(terms)) for phrase, terms in groups.items()},
            longest=max((len(phrase) for phrase in groups), default=0),
            first_words=frozenset(phrase[0] for phrase in groups),
        )

    def scan(self, tokens: list[str]) -> list[tuple[int, int, tuple[str, ...]]]:
        """(start, end, group terms) of each synonym phrase in ``tokens``, longest first at
        each position, phrases not overlapping."""
        found, start = [], 0
        while start < len(tokens):
            for length in range(min(self.longest, len(tokens) - start), 0, -1):
                terms = self.groups.get(tuple(tokens[start : start + length]))
                if terms:
                    found.append((start, start + length, terms))
                    start += length
                    break
            else:
                start += 1
        return found


@functools.cache
def synonyms() -> Synonyms:
    return Synonyms.parse(SYNONYMS_FILE.read_text(encoding="utf-8"))


def document_text(*texts: str) -> str:
    """The indexed form of ``texts``: their stemmed words, then the terms of the synonym
    groups they contain, separated by spaces."""
    tokens = [token for text in texts for token in words(text)]
    known = synonyms()
    terms: list[str] = []
    for start, token in enumerate(tokens):
        if token not in known.first_words:
            continue
        # Every phrase starting anywhere, so overlapping phrases all count for a document.
        for length in range(1, known.longest + 1):
            terms.extend(known.groups.get(tuple(tokens[start : start + length]), ()))
    return " ".join([*tokens, *dict.fromkeys(terms)])


@dataclass(frozen=True)
class Clause:
    """One thing a query asks for: any of ``terms`` (several for an ambiguous synonym)."""

    terms: tuple[str, ...]
    prefix: bool = False


def query_clauses(text: str) -> list[Clause]:
    """What ``text`` asks for, every clause required: a synonym phrase becomes its group
    term(s), other words stay words; the last word, when it is no synonym and has at least
    ``PREFIX_MIN_LENGTH`` letters, also matches longer words it begins. Empty when ``text``
    has no letter or digit."""
    tokens = words(text)
    clauses: list[Clause] = []
    position = 0
    for start, end, terms in [*synonyms().scan(tokens), (len(tokens), len(tokens), ())]:
        clauses.extend(Clause((token,)) for token in tokens[position:start])
        if terms:
            clauses.append(Clause(terms))
        position = end
    last = clauses[-1].terms if clauses else ()
    synonym = len(last) != 1 or last[0].startswith(GROUP_TERM_PREFIX)
    if last and not synonym and len(last[0]) >= PREFIX_MIN_LENGTH:
        clauses[-1] = Clause(last, prefix=True)
    return clauses


def matches(clauses: list[Clause], document: str) -> bool:
    """Whether an indexed ``document`` (``document_text``) answers every clause: the same rule
    as the database backends, for tables small enough to search in Python."""
    indexed = document.split()
    present = set(indexed)
    for clause in clauses:
        if present.intersection(clause.terms):
            continue
        if clause.prefix and any(word.startswith(clause.terms[0]) for word in indexed):
            continue
        return False
    return True
