import codecs
import json

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json as drf_json

from timeline.importers.json import RepeatedKey, unique_members

# No body the API takes nests deeper than a measure's lists of objects (3 levels); this leaves
# room for clients' mistakes to be reported as field errors, and refuses what only an attack
# sends (Python's parser would otherwise fail with a RecursionError near 1,000 levels).
MAX_JSON_DEPTH = 32


def nesting_depth(data) -> int:
    """How deep ``data`` nests lists and objects (a scalar is 0), without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in children)
    return deepest


class StrictJSONParser(JSONParser):
    """JSON that every database can store: no lone surrogates, no NUL characters, nested at
    most ``MAX_JSON_DEPTH`` levels, and no object naming a member twice (which one would
    count is the reader's guess, RFC 8259 section 4)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = drf_json.load(
                codecs.getreader(encoding)(stream),
                parse_constant=drf_json.strict_constant if self.strict else None,
                object_pairs_hook=unique_members,
            )
        except RepeatedKey as error:
            raise ParseError(f"JSON parse error - {error}.") from error
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from error
        except RecursionError as error:
            raise ParseError(
                f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels."
            ) from error
        if nesting_depth(data) > MAX_JSON_DEPTH:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels.")
        text = json.dumps(data, ensure_ascii=False)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise ParseError("JSON parse error - strings must be valid Unicode.") from error
        if "\\u0000" in text:
            raise ParseError("JSON parse error - strings cannot contain NUL characters.")
        return data
