"""Contract fuzzing: schemathesis generates requests from openapi.yaml and runs them against local mode.

Every response must be one the document declares (status, headers, content type, body schema) and
none may be a 5xx. A stateful test follows the document's links from an upload to the calls on the
new document. The number of examples is bounded so the run stays short, and generation is
derandomised (Hypothesis's fixed seed, no example database) so every run, in CI or not, sends the
same requests: a failure reproduces, and a pass is not luck of the draw. Every generated request is
SigV4-signed (``RequestsSigV4``), as local mode requires; schemathesis's own ``ignored_auth`` check
then confirms that the same requests without a signature are refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import hypothesis
import pytest
import requests
import schemathesis

from tests.e2e.signing import RequestsSigV4
from tests.e2e.targets import local_principal

if TYPE_CHECKING:
    from collections.abc import Iterator

    from schemathesis import Case

    from tests.e2e.targets import Target

OPENAPI_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"
MAX_EXAMPLES = 50
"""Examples per operation and generation phase: enough to hit every rejection path, in a few seconds."""
STATEFUL_MAX_EXAMPLES = 30
"""Generated workflows (sequences of linked calls)."""
STATEFUL_STEPS = 6
"""Longest workflow: an upload and a few linked calls after it."""

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
                "deterministic": True,
                # The Authorization header is the signature the session adds (``RequestsSigV4``), not
                # a parameter to fuzz: a generated value would only ever be refused.
                "with-security-parameters": False,
            },
            "checks": {
                # Nothing schema-valid and signed is refused except a document that does not exist:
                # not even 403 (schemathesis allows it by default, for authorisation).
                "positive_data_acceptance": {"expected-statuses": ["2xx", "404"]},
            },
            "operations": [
                {
                    # A schema-valid upload can still be refused, as the document says: 415 when the
                    # bytes are not the declared type (magic bytes, UTF-8), 400 for a Content-Disposition
                    # that is not RFC 6266. JSON Schema cannot express either rule.
                    "include-operation-id": "upload_document",
                    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400", "415"]}},
                }
            ],
        }
    ),
)


@pytest.fixture(scope="module")
def signed_session(target: Target) -> Iterator[requests.Session]:
    """A ``requests`` session signing as one fresh local principal."""
    if target.deployed:
        pytest.skip("contract fuzzing runs against local mode only (it would fill a real bucket)")
    with requests.Session() as session:
        session.auth = RequestsSigV4(local_principal(target), target.region)
        yield session


@schema.parametrize()
def test_every_response_matches_the_contract(
    case: Case[Any], target: Target, signed_session: requests.Session
) -> None:
    case.call_and_validate(base_url=target.api_url, session=signed_session)


def test_workflows_match_the_contract(target: Target, signed_session: requests.Session) -> None:
    """Upload, then follow the document's links (read, download, delete) in generated orders.

    Adds the stateful checks: a created document is available, a deleted one is gone (404).
    """

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Case[Any]) -> dict[str, Any]:
            return {"base_url": target.api_url, "session": signed_session}

    Workflow.run(
        settings=hypothesis.settings(
            max_examples=STATEFUL_MAX_EXAMPLES,
            stateful_step_count=STATEFUL_STEPS,
            derandomize=True,
            deadline=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
    )
