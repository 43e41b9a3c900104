"""Schemathesis drives every operation of the app's own OpenAPI schema, in process: no server
errors, and every response matches what the schema promises. CI runs a short deterministic
pass; `make fuzz` runs a long one (REGWATCH_FUZZ_EXAMPLES)."""

import os

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from regwatch.wsgi import application

EXAMPLES = int(os.environ.get("REGWATCH_FUZZ_EXAMPLES", "6"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture(scope="module", autouse=True)
def keep_the_test_connection():
    """Requests go through the real WSGI handler, whose start and end would close the test's
    database connection (and its transaction) on PostgreSQL; Django's test client avoids the
    same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def superuser_token(demo_data) -> str:
    user = User.objects.create_superuser("fuzzer")
    return AuthToken.objects.create(user=user)[1]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=not os.environ.get("REGWATCH_FUZZ_RANDOM"),
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_conforms_to_the_schema(case, superuser_token):
    case.call_and_validate(headers={"Authorization": f"Token {superuser_token}"}, checks=CHECKS)
