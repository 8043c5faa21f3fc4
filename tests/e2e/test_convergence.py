"""The catalogue converges with S3 through the reconciler, end to end in local mode.

Local mode delivers the bucket's S3 event notifications to the same reconciler the deployed stack
runs. Here S3 is changed behind the API's back, exactly what a crash between the two writes leaves:
an object stored without its catalogue item (the upload's second write lost), and an object deleted
with its item left behind (the delete's second write lost). Each time the listing must heal by
itself. Local mode only: against a deployed stack the bucket policy lets only the functions' roles
write objects, so the suite cannot produce those states there (the service's unit tests inject the
failures at the handler instead).
"""

from __future__ import annotations

import base64
import hashlib
import time
from typing import TYPE_CHECKING, Any

import pytest

from document_processor.identity import normalise_principal
from document_processor.ids import new_document_id
from tests.e2e.assertions import assert_service_error
from tests.e2e.listing import walk
from tests.e2e.targets import ApiClient, local_principal, s3_client, signed_client

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from local_mode.principals import Principal
    from tests.e2e.targets import Target

HEAL_SECONDS = 30.0
"""How long the reconciler may take (the event pump polls its queue; a failed try is retried later)."""


@pytest.fixture
def caller(target: Target) -> Iterator[tuple[Principal, ApiClient]]:
    """A fresh local principal and a client signing as it (its documents deleted afterwards)."""
    if target.deployed:
        pytest.skip("writes S3 behind the API's back: only the functions' roles may, on a deployed stack")
    principal = local_principal(target)
    with signed_client(target, principal) as http:
        client = ApiClient(http=http, name="caller", created=[])
        yield principal, client
        client.delete_created()


def _eventually(check: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + HEAL_SECONDS
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _listed(client: ApiClient) -> list[dict[str, Any]]:
    return [item for page in walk(client, limit=100) for item in page]


def test_an_object_stored_without_its_catalogue_item_is_listed_by_the_reconciler(
    target: Target, caller: tuple[Principal, ApiClient]
) -> None:
    principal, client = caller
    owner = normalise_principal(principal.arn)
    document_id = new_document_id()
    body = b"stored, but the catalogue write was lost\n"
    # What the upload's PutObject leaves when the function dies before the catalogue write
    s3_client(target).put_object(
        Bucket=target.bucket,
        Key=f"documents/{owner.owner_key}/{document_id}",
        Body=body,
        ContentType="text/plain; charset=utf-8",
        ChecksumAlgorithm="SHA256",
        ChecksumSHA256=base64.b64encode(hashlib.sha256(body).digest()).decode(),
        Metadata={"owner": owner.principal, "filename": "healed.txt"},
    )

    healed = _eventually(lambda: document_id in [item["id"] for item in _listed(client)])

    assert healed, "the reconciler did not list the object S3 holds"
    client.created.append(document_id)
    described = client.request("GET", f"/documents/{document_id}")
    assert described.status_code == 200, described.text
    assert _listed(client) == [described.json()]
    assert described.json()["filename"] == "healed.txt"
    assert described.json()["sha256"] == hashlib.sha256(body).hexdigest()


def test_an_item_whose_object_was_deleted_is_removed_by_the_reconciler(
    target: Target, caller: tuple[Principal, ApiClient]
) -> None:
    principal, client = caller
    created = client.upload(b"soon gone\n", "text/plain")
    assert created.status_code == 201, created.text
    document_id = created.json()["id"]
    assert [item["id"] for item in _listed(client)] == [document_id]
    # What the delete's DeleteObject leaves when the function dies before the catalogue delete
    owner_key = normalise_principal(principal.arn).owner_key
    s3_client(target).delete_object(Bucket=target.bucket, Key=f"documents/{owner_key}/{document_id}")

    healed = _eventually(lambda: _listed(client) == [])

    assert healed, "the reconciler did not remove the item of a deleted object"
    assert_service_error(client.request("GET", f"/documents/{document_id}"), 404, "not_found")
