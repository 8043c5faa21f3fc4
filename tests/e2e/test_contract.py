"""Contract fuzzing: schemathesis generates requests from openapi.yaml and runs them against local mode.

Every response must be one the document declares (status, headers, content type, body schema) and
none may be a 5xx. A stateful test follows the document's links from an upload to the calls on the
new document. The number of examples is bounded so the run stays short, and generation is
derandomised (Hypothesis's fixed seed, no example database) so every run, in CI or not, sends the
same requests: a failure reproduces, and a pass is not luck of the draw. Every generated request is
SigV4-signed (``RequestsSigV4``), as local mode requires; schemathesis's own ``ignored_auth`` check
then confirms that the same requests without a signature are refused.

Two inputs are valid by the schema yet cannot be generated meaningfully: a listing ``cursor`` (only
the service can issue one, bound to the caller and the listing: a generated one must be refused, and
that is asserted instead of acceptance) and an ``Idempotency-Key`` (generated values repeat, so a
later upload with a key already used for other bytes is a documented 422; the workflows give every
keyed upload a fresh key, so their links never follow a replay).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import hypothesis
import pytest
import requests
import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

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
            "phases": {
                # Only the document's own links (and Location headers): links inferred from the
                # listing's items would draw ids from whatever the server holds by then, which
                # differs when Hypothesis replays a workflow (FlakyStrategyDefinition).
                "stateful": {"inference": {"algorithms": ["location-headers"]}}
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
                    # that is not RFC 6266, 422 for an Idempotency-Key this caller already used with
                    # other bytes (generated keys repeat). JSON Schema cannot express any of them.
                    "include-operation-id": "upload_document",
                    "checks": {
                        "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "415", "422"]}
                    },
                },
                {
                    # 303 is a success of this operation: ?redirect=true (or a document above the inline
                    # limit) answers with the presigned URL instead of the bytes.
                    "include-operation-id": "download_document",
                    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "303", "404"]}},
                },
                {
                    # A schema-valid session request can still be refused, as the document says: 400 for
                    # a filename with nothing left once sanitised, 413 above the configured size limit
                    # (configurable, so not in the schema), 415 for a content type not accepted (or text
                    # not declared UTF-8), 422 for an Idempotency-Key reused with another body.
                    "include-operation-id": "create_upload",
                    "checks": {
                        "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "413", "415", "422"]}
                    },
                },
                {
                    # Part numbers beyond this session's part count, or checksums the session did not
                    # ask for (or omitted when it did), are 400 invalid_part; a session that no longer
                    # awaits parts is 409. Both depend on the session, which the schema cannot know.
                    "include-operation-id": "sign_upload_parts",
                    "checks": {
                        "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "404", "409"]}
                    },
                },
                {
                    # ETags S3 never issued, or a part list not matching the session's plan, are 400
                    # invalid_part; a session aborted, expired or rejected is 409.
                    "include-operation-id": "complete_upload",
                    "checks": {
                        "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "404", "409"]}
                    },
                },
                {
                    # Only a session awaiting parts (or already aborted) can be aborted: else 409.
                    "include-operation-id": "abort_upload",
                    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "404", "409"]}},
                },
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


@pytest.fixture
def workflow_session(target: Target) -> Iterator[requests.Session]:
    """Another fresh principal for the workflows: their listings and keys start empty, whatever the
    generated requests before them stored (Hypothesis replays a workflow and needs the same answers)."""
    if target.deployed:
        pytest.skip("contract fuzzing runs against local mode only (it would fill a real bucket)")
    with requests.Session() as session:
        session.auth = RequestsSigV4(local_principal(target), target.region)
        yield session


LIST_OPERATIONS = frozenset({"GET /documents", "GET /uploads"})
KEY_HEADER = "Idempotency-Key"


def _generated_cursor(case: Case[Any]) -> bool:
    """A listing with a cursor schemathesis made up (the service never issued it)."""
    return case.operation.label in LIST_OPERATIONS and "cursor" in (case.query or {})


@schema.parametrize()
def test_every_response_matches_the_contract(
    case: Case[Any], target: Target, signed_session: requests.Session
) -> None:
    if not _generated_cursor(case):
        case.call_and_validate(base_url=target.api_url, session=signed_session)
        return
    # Schema-valid, yet no cursor the service did not issue is accepted: expect the refusal instead.
    response = case.call_and_validate(
        base_url=target.api_url, session=signed_session, excluded_checks=[positive_data_acceptance]
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] in {"invalid_cursor", "invalid_limit", "invalid_query_parameter"}
    if case.meta is not None and case.meta.generation.mode.is_positive:
        assert response.json()["error"]["code"] == "invalid_cursor"


def test_workflows_match_the_contract(target: Target, workflow_session: requests.Session) -> None:
    """Upload, then follow the document's links (read, download, delete) in generated orders.

    Adds the stateful checks: a created document is available, a deleted one is gone (404).
    """

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Case[Any]) -> dict[str, Any]:
            return {"base_url": target.api_url, "session": workflow_session}

        def before_call(self, case: Case[Any]) -> None:
            # A fresh key per keyed upload: a replay of a deleted document would send the links to a 404.
            if case.headers and KEY_HEADER in case.headers:
                case.headers[KEY_HEADER] = str(uuid.uuid4())
            # Only the service issues cursors; a made-up one is refused (asserted in the test above).
            if _generated_cursor(case) and case.query is not None:
                del case.query["cursor"]

    Workflow.run(
        settings=hypothesis.settings(
            max_examples=STATEFUL_MAX_EXAMPLES,
            stateful_step_count=STATEFUL_STEPS,
            derandomize=True,
            deadline=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
    )
