"""Contract fuzzing: schemathesis generates requests from openapi.yaml and runs them against local mode.

Every response must be one the document declares (status, headers, content type, body schema) and
none may be a 5xx. The number of examples per operation is bounded so the run stays short.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from schemathesis.specs.openapi.checks import ignored_auth

if TYPE_CHECKING:
    from schemathesis import Case

    from tests.e2e.targets import Target

OPENAPI_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"
MAX_EXAMPLES = 50
"""Examples per operation and generation phase: enough to hit every rejection path, in a few seconds."""

# The document's PDFs are raw bytes; send them like any other binary body (schemathesis ships file
# samples for the image types, not for PDF).
schemathesis.serializer.alias("application/pdf", "application/octet-stream")


# Loaded at import, not through ``schemathesis.pytest.from_fixture``: the lazy loader reaches into a
# private pytest attribute that pytest 9 removed. The base URL is given per call instead.
schema = schemathesis.openapi.from_path(
    OPENAPI_PATH,
    config=schemathesis.Config.from_dict(
        {
            "generation": {
                "max-examples": MAX_EXAMPLES,
                # Local mode plays IAM authorisation without signatures (X-Local-Caller), so the
                # SigV4 Authorization header is neither needed nor checked: do not fuzz it here.
                "with-security-parameters": False,
            },
            "operations": [
                {
                    # A schema-valid upload can still be refused, as the document says: 415 when the
                    # bytes are not the declared type (magic bytes, UTF-8), 400 for a Content-Disposition
                    # that is not RFC 6266. JSON Schema cannot express either rule.
                    "include-operation-id": "upload_document",
                    "checks": {
                        "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "403", "404", "415"]}
                    },
                }
            ],
        }
    ),
)


@schema.parametrize()
def test_every_response_matches_the_contract(case: Case[Any], target: Target) -> None:
    if target.deployed:
        pytest.skip("contract fuzzing runs against local mode only (it would fill a real bucket)")
    # Local mode does not authenticate: SigV4 is verified by API Gateway, which local mode plays
    # without signatures (the caller comes from X-Local-Caller). So the check that unauthenticated
    # requests are refused cannot hold here; it is a deployed-stack property.
    case.call_and_validate(base_url=target.api_url, excluded_checks=[ignored_auth])
