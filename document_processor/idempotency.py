"""Idempotent creates: ``POST /documents`` and ``POST /uploads`` with an ``Idempotency-Key`` header.

A client whose answer was lost (a timeout after S3 stored the object) retries with the same key and
gets the same document back instead of a duplicate. The key's record lives in the caller's own
catalogue partition (so keys are per caller) and expires after 24 hours:

1. ``claim``: one conditional PutItem reserves the key with a fresh document id (state ``pending``) or
   returns the earlier record. A different request under the same key (other body, type or filename:
   the ``fingerprint``) is a 422; a completed one is replayed; a pending one (that attempt crashed, or
   is still running) is *resumed*: this request stores the same upload under the record's id, where
   an identical object already there counts as stored (``DocumentStore.put_new(same_write_ok=True)``).
2. ``complete``: the record keeps the 201 body for replays. If that write fails the answer is still
   201: the record stays pending and a retry resumes it, ending at the same single document.

Every validation happens before ``claim``, so a refused request never uses up a key.

``POST /uploads`` (``upload_service.py``) claims the same way, with the upload id as the reserved id and
the parsed request (``uploads.UploadRequest``) as the fingerprint; both kinds share the caller's keys,
and a fingerprint names its kind, so a key used for one is a 422 for the other. A session is replayed
as it is *now* (its status moves on), so its record's stored body only marks the claim completed.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any, NamedTuple

from document_processor.errors import ErrorCode, ServiceError, UnprocessableError

if TYPE_CHECKING:
    from document_processor.catalogue import Catalogue

STATE_PENDING = "pending"
STATE_COMPLETED = "completed"
TTL_SECONDS = 86_400
"""An Idempotency-Key is remembered for 24 hours."""
REUSED_MESSAGE = (
    "This Idempotency-Key was already used with a different request; send this request with a new key."
)
LOGGER = logging.getLogger("document_processor.idempotency")


class IdempotentRequest(NamedTuple):
    """A request's Idempotency-Key (as stored: its SHA-256) and what makes the request itself."""

    key_digest: str
    """SHA-256 hex of the client's key: the record's sort key (the key itself is never stored)."""
    fingerprint: str
    """SHA-256 hex of what the request asks for (``fingerprint``): for ``POST /documents`` the
    Content-Type and Content-Disposition headers and the body's SHA-256."""


class Claim(NamedTuple):
    """What to do under the key: store under ``document_id``, or answer with ``replay``."""

    document_id: str
    resumed: bool
    """The record was pending: an earlier attempt may have stored this upload already."""
    replay: dict[str, Any] | None
    """The earlier 201 body, when that attempt completed (nothing is to be stored)."""


def fingerprint(*parts: str | bytes | None) -> str:
    """SHA-256 hex over ``parts``, each length-prefixed (``None`` apart from empty), so none can shift
    into its neighbour and two different lists of parts never share a fingerprint."""
    digest = hashlib.sha256()
    for part in parts:
        if part is None:
            digest.update(b"-")
            continue
        encoded = part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass")
        digest.update(b"+%d:" % len(encoded) + encoded)
    return digest.hexdigest()


def keyed_request(key: str, request_fingerprint: str) -> IdempotentRequest:
    """The record key of a (validated) ``Idempotency-Key`` with the request's ``fingerprint``."""
    return IdempotentRequest(
        key_digest=hashlib.sha256(key.encode("ascii")).hexdigest(), fingerprint=request_fingerprint
    )


def idempotent_request(
    key: str, *, content_type_header: str | None, content_disposition_header: str | None, body_sha256: bytes
) -> IdempotentRequest:
    """The record key and fingerprint of one ``POST /documents`` (the headers, then the body's SHA-256)."""
    return keyed_request(key, fingerprint(content_type_header, content_disposition_header, body_sha256))


def claim(
    catalogue: Catalogue, owner_key: str, request: IdempotentRequest, *, document_id: str, now: int
) -> Claim:
    """Reserve the key for ``document_id``, or learn what the earlier request under it left."""
    earlier = catalogue.claim_idempotency(
        owner_key, request.key_digest, fingerprint=request.fingerprint, document_id=document_id, now=now
    )
    if earlier is None:
        return Claim(document_id=document_id, resumed=False, replay=None)
    if earlier.fingerprint != request.fingerprint:
        raise UnprocessableError(REUSED_MESSAGE, code=ErrorCode.IDEMPOTENCY_KEY_REUSED)
    if earlier.document_id == document_id and earlier.state != STATE_COMPLETED:
        # Our own claim: it was written, its answer was lost, and botocore's retry was refused with it.
        return Claim(document_id=document_id, resumed=False, replay=None)
    if earlier.state == STATE_COMPLETED and earlier.response is not None:
        replay: dict[str, Any] = json.loads(earlier.response)
        return Claim(document_id=earlier.document_id, resumed=True, replay=replay)
    LOGGER.warning("Resuming an earlier attempt under the same Idempotency-Key")
    return Claim(document_id=earlier.document_id, resumed=True, replay=None)


def complete(
    catalogue: Catalogue,
    owner_key: str,
    request: IdempotentRequest,
    *,
    document_id: str,
    body: dict[str, Any],
) -> None:
    """Keep the 201 body for replays; a failure is logged only (a retry resumes the pending record)."""
    try:
        catalogue.complete_idempotency(
            owner_key,
            request.key_digest,
            document_id=document_id,
            response=json.dumps(body, separators=(",", ":")),
        )
    except ServiceError:
        LOGGER.warning("Could not complete the Idempotency-Key record; a retry will resume it")
