"""The API's JSON parser."""

import json
import re
from decimal import Decimal
from itertools import accumulate

from rest_framework import exceptions, parsers

# Deeper JSON than this is refused before parsing: the standard library's parser recurses per level
# and a few thousand brackets exhaust the stack. Nothing the API takes nests more than a few levels.
MAX_JSON_DEPTH = 64
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in `text` (brackets inside strings do not count)."""
    brackets = _JSON_BRACKET.findall(_JSON_STRING.sub("", text))
    return max(accumulate(1 if b in "[{" else -1 for b in brackets), default=0)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with two differences for money and safety.

    Numbers with a fraction are read as Decimal, so a price sent as 700.05 arrives
    exact (never through a binary float); and bodies nested deeper than
    MAX_JSON_DEPTH are refused as malformed before the recursive parser sees them.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", "utf-8")
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
        except UnicodeDecodeError as exc:
            raise exceptions.ParseError(f"JSON parse error - the body is not {encoding}: {exc.reason}") from None
        if json_depth(text) > MAX_JSON_DEPTH:
            raise exceptions.ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels")
        try:
            return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")
