"""Every operation in the OpenAPI schema, called with generated requests (schemathesis), authenticated.

Zero 5xx, and every response matches the schema: its status is documented,
its body has the documented shape, its content type is the documented one.
Requests the schema allows are accepted (any 2xx, or a documented 401, 403,
404, 409, 422 or 429: a 422 is a trading rule the schema cannot state, like a
lot size); a 400 for a request the schema allows is a finding.

Both requests the schema allows and requests it forbids are generated (the
latter must get a documented 4xx). Bounded: SCHEMA_FUZZ_EXAMPLES examples per
operation (default 15); the requests sent and the statuses seen are written to
var/.../artifacts/schema-fuzz.json for the record.

A second pass sends requests the schema allows with one value replaced by an
extreme one: far dates (year 1, 9999, with offsets), numbers past what any field
holds (1e999999999, 1e-999999999, 10^26 and more, beyond 64 bits) and digits
other than 0-9 (Devanagari, Arabic-Indic, Bengali, full-width), in any field of
the body or the query, preferring those that hold a number or a date. Each gets
a documented answer, never a 5xx (SCHEMA_FUZZ_EXTREME_EXAMPLES per operation,
default 10).
"""

import json
import os
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("SCHEMA_FUZZ_EXAMPLES", "15"))
EXTREME_EXAMPLES = int(os.environ.get("SCHEMA_FUZZ_EXTREME_EXAMPLES", "10"))
CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]},
            # DRF reads "5" as the integer 5 and "true" as true: lenient on input, as docs/api.md says.
            "negative_data_rejection": {"enabled": False},
        },
        "generation": {"max-examples": EXAMPLES, "mode": "all"},
    }
)


@pytest.fixture
def in_process_requests():
    """Requests run in this process against the test database: as Django's test client does, the
    connection is not closed at the end of each request (it holds the test's transaction)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def trader_token(db, django_user_model, in_process_requests) -> str:
    """A trader with funds and an always-open paper account, the demo instruments with a fresh quote."""
    from rest_framework_simplejwt.tokens import RefreshToken

    from marketdata.demo import demo_instruments_import
    from orders.services import account_open
    from tests.orders.conftest import set_quote

    demo_instruments_import()
    set_quote("NSE", "SBIN-EQ", "800.00", bid="799.95", ask="800.05")
    user = django_user_model.objects.create_user("fuzzer", password="fuzz-pass-12345")
    account_open(user=user, starting_funds=Decimal("1000000"), always_open=True)
    return str(RefreshToken.for_user(user).access_token)


SENT: Counter = Counter()
SENT_EXTREME: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def _record_what_was_sent():
    yield
    from django.conf import settings as django_settings

    folder = Path(django_settings.VAR_DIR) / "artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    summary = {
        "requests": sum(SENT.values()),
        "by_status": dict(sorted(SENT.items())),
        "extreme_requests": sum(SENT_EXTREME.values()),
        "extreme_by_status": dict(sorted(SENT_EXTREME.items())),
    }
    (folder / "schema-fuzz.json").write_text(json.dumps(summary, indent=2))


# The schema as the running application serves it (generating it needs no database).
schema = schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler(), config=CONFIG)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_answers_as_its_schema_says(case, trader_token):
    response = case.call_and_validate(headers={"Authorization": f"Bearer {trader_token}"})
    SENT[str(response.status_code)] += 1


# --- One value replaced by an extreme one ------------------------------------------------------------------

EXTREME_CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {
        "checks": {
            # The replaced value makes the request one the API refuses: any documented answer, never a 5xx.
            "positive_data_acceptance": {"enabled": False},
            "negative_data_rejection": {"enabled": False},
        },
        "generation": {"max-examples": EXTREME_EXAMPLES, "mode": "positive"},
        # Only the fuzzing phase runs the hooks below: the coverage phase's boundary cases would go out unchanged.
        "phases": {"examples": {"enabled": False}, "coverage": {"enabled": False}},
    }
)


# Digit zero of Devanagari, Arabic-Indic, extended Arabic-Indic, Bengali and full-width: Python reads them all.
FOREIGN_ZEROS = [0x966, 0x660, 0x6F0, 0x9E6, 0xFF10]


def in_foreign_digits(*texts: str) -> st.SearchStrategy:
    """One of `texts` written in another script's digits ("300" as "३००", or in Arabic-Indic or full-width digits)."""
    return st.builds(
        lambda text, zero: text.translate({ord("0") + digit: zero + digit for digit in range(10)}),
        st.sampled_from(texts),
        st.sampled_from(FOREIGN_ZEROS),
    )


FAR_DATES = st.one_of(
    st.sampled_from(["0001-01-01", "9999-12-31", "0001-01-01T00:00:00", "9999-12-31T23:59:59-05:00"]),
    in_foreign_digits("2023-06-15", "2023-06-15T10:00:00"),
)
FAR_NUMBERS = st.one_of(
    st.sampled_from(["1e999999999", "1e-999999999", "-1e999999999", "1E+26", "0e999999999", "1" + "0" * 26]),
    st.sampled_from([10**26, -(10**26), 2**63, 10**30, 1e300, 5e-324]),
    in_foreign_digits("300", "100", "1", "0.05"),
)
# Values the schema cannot describe (a strategy's name and parameters, a listed symbol, a date in free text,
# cost and sizing settings): random ones are refused before any date or number is read, so the names that
# carry them get real ones first (with numbers inside, which the replacement may then pick).
KNOWN_BODY = {
    "strategy": "sma_crossover",
    "params": {"fast": 5, "slow": 20},
    "grid": {"fast": [5, 10]},
    "symbols": ["NSE:SBIN-EQ"],
    "exchange": "NSE",
    "symbol": "SBIN-EQ",
    "start": "2023-01-01",
    "end": "2023-12-31",
    "costs": {"model": "flat", "per_order": "20"},
    "sizing": {"mode": "fixed_value", "value": "100000"},
}
KNOWN_QUERY = {"symbol": "NSE:SBIN-EQ", "symbols": "NSE:SBIN-EQ"}
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]+)?(Z|[+-][0-9:]+)?")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def _leaves(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def _replaced(value, path, new):
    if not path:
        return new
    copy = list(value) if isinstance(value, list) else dict(value)
    head, rest = path[0], path[1:]
    copy[head] = _replaced(copy[head], rest, new) if rest else new  # a declared parameter may not be there yet
    return copy


def _extreme_for(leaf) -> st.SearchStrategy | None:
    """Far dates for a date, far or foreign numbers for a number; None for anything else."""
    if isinstance(leaf, str) and DATE.fullmatch(leaf):
        return FAR_DATES
    if (isinstance(leaf, int | float) and not isinstance(leaf, bool)) or (
        isinstance(leaf, str) and NUMBER.fullmatch(leaf)
    ):
        return FAR_NUMBERS
    return None


def _declared_kinds(operation) -> dict[tuple, st.SearchStrategy]:
    """The query's date and number parameters as the schema declares them, sent or not (most are optional)."""
    kinds = {}
    for parameter in operation.query:
        schema = parameter.definition.get("schema", {})
        if schema.get("format") in ("date", "date-time"):
            kinds[(parameter.name,)] = FAR_DATES
        elif schema.get("type") in ("integer", "number"):
            kinds[(parameter.name,)] = FAR_NUMBERS
    return kinds


def _one_extreme(value, known: dict, declared: dict | None = None):
    """`value` (a body or a query) with its known names made real and one leaf, at any depth, replaced by an
    extreme value: mostly a date or a number (by one of its kind), sometimes any leaf (by any kind)."""
    if value is None and declared:
        value = {}
    if not isinstance(value, dict):
        return st.just(value)
    value = {**value, **{name: real for name, real in known.items() if name in value}}
    leaves = list(_leaves(value))
    kinds = {path: kind for path, leaf in leaves if (kind := _extreme_for(leaf)) is not None} | (declared or {})
    if not leaves and not kinds:
        return st.just(value)
    replacements = [st.tuples(st.just(path), kind) for path, kind in kinds.items()]
    choices = [*replacements, *replacements]
    if leaves:
        choices.append(st.tuples(st.sampled_from([path for path, _ in leaves]), st.one_of(FAR_DATES, FAR_NUMBERS)))
    return st.one_of(choices).map(lambda pair: _replaced(value, *pair))


extremes = schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler(), config=EXTREME_CONFIG)


@extremes.hook
def flatmap_body(context, body):
    return _one_extreme(body, KNOWN_BODY)


@extremes.hook
def flatmap_query(context, query):
    return _one_extreme(query, KNOWN_QUERY, _declared_kinds(context.operation))


@extremes.parametrize()
@settings(max_examples=EXTREME_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_extreme_values_in_any_field_get_a_documented_answer_never_a_5xx(case, trader_token):
    response = case.call_and_validate(headers={"Authorization": f"Bearer {trader_token}"})
    SENT_EXTREME[str(response.status_code)] += 1
