"""Schemathesis hooks for the multistore fuzz run: a check that no answer carries another store's data.

The fuzz script gives every object of the *other* store a marker in its text fields (names, usernames,
emails, addresses); an answer that contains the marker shows data across tenants.
"""
import json
import os

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

MARKER = os.environ.get("FUZZ_FOREIGN_MARKER", "")
# Top-level fields whose answer is the platform's directory of stores (each store's name, domains, contact
# and status), which the platform admin is meant to see across stores; set for the admin's run only. The
# rest of an admin's answer (errors included) must still hold nothing of another store.
DIRECTORY_FIELDS = {name for name in os.environ.get("FUZZ_DIRECTORY_FIELDS", "").split(",") if name}

# Money comes as a string or a number; both forms, valid and not, are generated.
schemathesis.graphql.scalar(
    "Decimal",
    st.one_of(
        st.from_regex(r"\A-?[0-9]{1,13}(\.[0-9]{0,4})?\Z").map(nodes.String),
        st.text(max_size=12).map(nodes.String),
        st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
    ),
)


@schemathesis.check
def no_server_error(ctx, response, case):
    """No 5xx answer. (GraphQL errors with a client code are expected answers to random input.)"""
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:300]}")


@schemathesis.check
def no_foreign_data(ctx, response, case):
    if not MARKER:
        return
    text = response.text
    if DIRECTORY_FIELDS:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("data"), dict):
            for name in DIRECTORY_FIELDS:
                body["data"].pop(name, None)
            text = json.dumps(body)
    if MARKER.lower() in text.lower():
        raise AssertionError(f"the answer holds data of another store ({MARKER})")


@schemathesis.check
def graphql_errors_have_codes(ctx, response, case):
    """Every GraphQL error carries a code of the contract, and no internal text."""
    try:
        body = response.json()
    except ValueError:
        raise AssertionError("the answer is not JSON")
    errors = body.get("errors") if isinstance(body, dict) else None
    allowed = {
        "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "BAD_USER_INPUT", "CONFLICT",
        "INSUFFICIENT_STOCK", "INVALID_STATUS_TRANSITION", "TENANT_REQUIRED", "TENANT_NOT_FOUND",
        "RATE_LIMITED", "LIMIT_EXCEEDED", "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED",
    }
    for error in errors or []:
        code = (error.get("extensions") or {}).get("code")
        if code not in allowed:
            raise AssertionError(f"an error without a client code: {error}")
