import json

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class StrictJSONParser(JSONParser):
    """JSON that every database can store: no lone surrogates, no NUL characters."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        text = json.dumps(data, ensure_ascii=False)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise ParseError("JSON parse error - strings must be valid Unicode.") from error
        if "\\u0000" in text:
            raise ParseError("JSON parse error - strings cannot contain NUL characters.")
        return data
