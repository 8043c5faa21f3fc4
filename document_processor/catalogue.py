"""The document catalogue on DynamoDB (DESIGN §4.1): one item per document, in the owner's partition,
so a listing page is one ``Query`` with full metadata; the records of idempotent uploads; and the
large-upload sessions (DESIGN §4.2, ``uploads.py``), in the same partition, so another owner's session
is simply not found.

S3 stays the source of truth: an item is written right after the object (conditionally, never
overwriting) and removed right after it; the reconciler (``reconciler.py``) heals whatever a crash
between the two writes leaves. Items are converted by hand for their one fixed shape (strings,
integers, a map of integers): boto3's ``TypeSerializer`` would add ``decimal`` and ``boto3.dynamodb``
to every cold start for the same result.

Timeouts and retries: DynamoDB answers in milliseconds from inside the region (through the gateway
endpoint), so one call is held to ``MAX_ATTEMPTS`` x (``CONNECT_TIMEOUT`` + ``READ_TIMEOUT``) plus the
standard-mode backoff (< 1 s for one retry) = 4 s. Every DynamoDB failure becomes the same service error
as an S3 one (503 when the client may retry, 502 otherwise) and never names the table or a key.
"""

from __future__ import annotations

import binascii
import logging
import math
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from botocore.exceptions import BotoCoreError, ChecksumError, ClientError

from document_processor import catalogue_schema as schema
from document_processor.clients import LazyClient
from document_processor.documents import Document
from document_processor.errors import CatalogueError, CatalogueUnavailableError, NotFoundError
from document_processor.idempotency import STATE_COMPLETED, STATE_PENDING, TTL_SECONDS
from document_processor.ids import created_at
from document_processor.runtime_checks import require_dynamodb_features
from document_processor.storage import TRANSPORT_ERRORS
from document_processor.uploads import (
    EXPIRING_STATUSES,
    SESSION_LIFETIME_SECONDS,
    InvalidUploadStateError,
    UploadError,
    UploadSession,
    UploadStatus,
    can_transition,
    rfc3339,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from boto3.session import Session
    from mypy_boto3_dynamodb import DynamoDBClient

DEFAULT_CONNECT_TIMEOUT_SECONDS = 0.5
"""The DynamoDB gateway endpoint is inside the VPC: connecting (TCP and TLS) takes milliseconds."""
DEFAULT_READ_TIMEOUT_SECONDS = 1.0
"""Longest wait for one answer; a 100-item page is tens of kilobytes, answered in milliseconds."""
DEFAULT_MAX_ATTEMPTS = 2
"""Total attempts per call, the first included (standard mode retries throttling and transient errors)."""
WORST_CALL_SECONDS = (
    DEFAULT_MAX_ATTEMPTS * (DEFAULT_CONNECT_TIMEOUT_SECONDS + DEFAULT_READ_TIMEOUT_SECONDS) + 1
)
"""The longest one call can take with the defaults (the 1 s: standard mode's backoff before one retry)."""

STATUS_STORED = "stored"

CRC32_HEADER = "x-amz-crc32"
"""DynamoDB's CRC32 of every answer's body (decimal)."""
CONDITION_FAILED = "ConditionalCheckFailedException"
UNAVAILABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
        "RequestTimeout",
    }
)
UNAVAILABLE_MESSAGE = "Storage is temporarily unavailable; retry later."
REFUSED_MESSAGE = "Storage refused the request."

LOGGER = logging.getLogger("document_processor.catalogue")
_T = TypeVar("_T")


class IdempotencyRecord(NamedTuple):
    """What an earlier request with the same Idempotency-Key left (it has not expired)."""

    document_id: str
    fingerprint: str
    state: str
    """``pending`` (that attempt may have crashed, or is still running) or ``completed``."""
    response: str | None
    """The JSON text of its 201 body, once completed."""


def create_dynamodb_client(
    *,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_SECONDS,
    read_timeout: float = DEFAULT_READ_TIMEOUT_SECONDS,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    session: Session | None = None,
) -> DynamoDBClient:
    """The low-level DynamoDB client with bounded timeouts and retries (region/endpoint from the AWS env).

    ``AWS_ENDPOINT_URL_DYNAMODB`` (local mode's emulator) is honoured by botocore itself. ``session``:
    as in ``storage.create_s3_client`` (a fresh one after a SnapStart restore). Raises
    ``UnsupportedSdkError`` if the loaded SDK cannot send what this module sends.
    """
    import boto3  # the cold-start floor; imported where the client is made
    from botocore.config import Config

    config = Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"mode": "standard", "total_max_attempts": max_attempts},
    )
    factory = boto3 if session is None else session
    client = factory.client("dynamodb", config=config)
    require_dynamodb_features(client)
    client.meta.events.register(
        "after-call.dynamodb", refuse_altered_answer, unique_id="refuse-altered-answer"
    )
    return client


def refuse_altered_answer(http_response: Any, **_: Any) -> None:
    """Raise ``ChecksumError`` for an answer whose body does not match DynamoDB's ``x-amz-crc32``.

    botocore's standard retry mode retries such an answer, but once out of attempts it parses the
    altered body as if it were sound (legacy mode raised). A listing must never show wrong metadata, so
    the last answer is checked once more here: a mismatch becomes the catalogue's 502, like an S3
    download that fails its SHA-256.
    """
    expected = getattr(http_response, "headers", {}).get(CRC32_HEADER)
    if expected is None:
        return
    actual = str(binascii.crc32(http_response.content) & 0xFFFFFFFF)
    if actual != str(expected).strip():
        raise ChecksumError(checksum_type="crc32", expected_checksum=str(expected), actual_checksum=actual)


def document_item(owner_key: str, document: Document, *, owner: str) -> dict[str, Any]:
    """The catalogue item of ``document`` (the one shape ``document_from_item`` reads back)."""
    item: dict[str, Any] = {
        schema.PARTITION_KEY: {"S": schema.owner_partition(owner_key)},
        schema.SORT_KEY: {"S": schema.document_sort_key(document.id)},
        "id": {"S": document.id},
        "owner": {"S": owner},
        "contentType": {"S": document.content_type},
        "size": {"N": str(document.size)},
        "createdAt": {"S": created_at(document.id)},
        "facts": {"M": {name: {"N": str(value)} for name, value in document.facts.items()}},
        "status": {"S": STATUS_STORED},
        schema.TYPE_INDEX_PARTITION_KEY: {"S": schema.type_key(owner_key, document.content_type)},
    }
    if document.sha256 is not None:
        item["sha256"] = {"S": document.sha256}
    if document.filename is not None:
        item["filename"] = {"S": document.filename}
        item["filenameLower"] = {"S": document.filename.casefold()}
    return item


def document_from_item(item: dict[str, Any]) -> Document:
    """The ``Document`` a catalogue item describes (``Document.to_json`` equals GET's for it)."""
    facts = item.get("facts", {}).get("M", {})
    return Document(
        id=item["id"]["S"],
        content_type=item["contentType"]["S"],
        size=int(item["size"]["N"]),
        sha256=item["sha256"]["S"] if "sha256" in item else None,
        filename=item["filename"]["S"] if "filename" in item else None,
        facts={name: int(value["N"]) for name, value in facts.items()},
    )


def session_item(owner_key: str, session: UploadSession) -> dict[str, Any]:
    """The catalogue item of an upload session (the one shape ``session_from_item`` reads back)."""
    item: dict[str, Any] = {
        schema.PARTITION_KEY: {"S": schema.owner_partition(owner_key)},
        schema.SORT_KEY: {"S": schema.upload_sort_key(session.id)},
        "id": {"S": session.id},
        "owner": {"S": session.owner},
        "filename": {"S": session.filename},
        "filenameLower": {"S": session.filename.casefold()},
        "contentType": {"S": session.content_type},
        "size": {"N": str(session.size)},
        "sha256": {"S": session.sha256},
        "partSize": {"N": str(session.part_size)},
        "partCount": {"N": str(session.part_count)},
        "multipartUploadId": {"S": session.multipart_upload_id},
        "status": {"S": str(session.status)},
        "createdAt": {"S": session.created_at},
        schema.TTL_ATTRIBUTE: {"N": str(session.expires_at)},
        "updatedAt": {"S": session.updated_at},
    }
    if session.error is not None:
        item["error"] = _error_attribute(session.error)
    if session.document_id is not None:
        item["documentId"] = {"S": session.document_id}
    if session.part_checksums:  # absent is false: sessions without the flag keep their earlier shape
        item["partChecksums"] = {"BOOL": True}
    return item


def session_from_item(item: dict[str, Any]) -> UploadSession:
    """The ``UploadSession`` a catalogue item describes."""
    error = item.get("error", {}).get("M")
    return UploadSession(
        id=item["id"]["S"],
        owner=item["owner"]["S"],
        filename=item["filename"]["S"],
        content_type=item["contentType"]["S"],
        size=int(item["size"]["N"]),
        sha256=item["sha256"]["S"],
        part_size=int(item["partSize"]["N"]),
        part_count=int(item["partCount"]["N"]),
        multipart_upload_id=item["multipartUploadId"]["S"],
        status=UploadStatus(item["status"]["S"]),
        expires_at=int(item[schema.TTL_ATTRIBUTE]["N"]),
        updated_at=item["updatedAt"]["S"],
        error=UploadError(code=error["code"]["S"], message=error["message"]["S"]) if error else None,
        document_id=item["documentId"]["S"] if "documentId" in item else None,
        part_checksums=bool(item.get("partChecksums", {}).get("BOOL", False)),
    )


def _error_attribute(error: UploadError) -> dict[str, Any]:
    return {"M": {"code": {"S": error.code}, "message": {"S": error.message}}}


class Catalogue:
    """Catalogue items of one table, with DynamoDB errors mapped to service errors."""

    worst_call_seconds: float = WORST_CALL_SECONDS
    """How long one call may take; callers skip a best-effort write when less time than this is left."""

    def __init__(self, client: DynamoDBClient | LazyClient[DynamoDBClient], table: str) -> None:
        self._clients = (
            client if isinstance(client, LazyClient) else LazyClient(lambda: client, name="dynamodb")
        )
        self._table = table

    @property
    def _client(self) -> DynamoDBClient:
        return self._clients.get()

    def put_document(self, owner_key: str, document: Document, *, owner: str) -> bool:
        """Create the document's item unless one exists (never overwrites); ``False`` if one did."""
        try:
            self._call(
                "PutItem",
                lambda: self._client.put_item(
                    TableName=self._table,
                    Item=document_item(owner_key, document, owner=owner),
                    ConditionExpression="attribute_not_exists(#pk)",
                    ExpressionAttributeNames={"#pk": schema.PARTITION_KEY},
                ),
            )
        except _ConditionFailed:
            return False
        return True

    def delete_document(self, owner_key: str, document_id: str) -> None:
        """Delete the document's item; deleting one that is not there is not an error."""
        self._call(
            "DeleteItem",
            lambda: self._client.delete_item(TableName=self._table, Key=_key(owner_key, document_id)),
        )

    def query_documents(
        self,
        owner_key: str,
        *,
        limit: int,
        newest_first: bool,
        content_type: str | None,
        name_prefix: str | None,
        after_id: str | None,
    ) -> tuple[list[Document], str | None]:
        """One page of the owner's documents (one ``Query``) and the id to continue after (``None``: done).

        ``content_type`` reads the ``byType`` index instead of the table; ``name_prefix`` (already
        case-folded) filters on ``filenameLower``, so a page may hold fewer than ``limit`` items and
        still continue. One item more than ``limit`` is read so that a page that ends exactly at the
        end of the listing says so, instead of sending the client for an empty page.
        """
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        if content_type is None:
            names["#pk"] = schema.PARTITION_KEY
            names["#sk"] = schema.SORT_KEY
            values[":pk"] = {"S": schema.owner_partition(owner_key)}
            values[":doc"] = {"S": schema.DOCUMENT_PREFIX}
            condition = "#pk = :pk AND begins_with(#sk, :doc)"
        else:
            names["#type"] = schema.TYPE_INDEX_PARTITION_KEY
            values[":type"] = {"S": schema.type_key(owner_key, content_type)}
            condition = "#type = :type"
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ScanIndexForward": not newest_first,
            "Limit": limit + 1,
        }
        if content_type is None:
            # Read-your-writes: a document is listed as soon as its upload answered. DynamoDB's reads are
            # eventually consistent unless asked; a global secondary index cannot be read consistently,
            # so a ``contentType`` listing may lag a just-finished upload or delete by a moment.
            arguments["ConsistentRead"] = True
        else:
            arguments["IndexName"] = schema.TYPE_INDEX
        if name_prefix is not None:
            names["#name"] = "filenameLower"
            values[":prefix"] = {"S": name_prefix}
            arguments["FilterExpression"] = "begins_with(#name, :prefix)"
        if after_id is not None:
            start = _key(owner_key, after_id)
            if content_type is not None:
                start[schema.TYPE_INDEX_PARTITION_KEY] = {"S": schema.type_key(owner_key, content_type)}
            arguments["ExclusiveStartKey"] = start
        names.update(_PROJECTED_NAMES)
        arguments["ProjectionExpression"] = _PROJECTION
        arguments["ExpressionAttributeNames"] = names
        arguments["ExpressionAttributeValues"] = values
        response = self._call("Query", lambda: self._client.query(**arguments))
        documents = [document_from_item(item) for item in response.get("Items", [])]
        if len(documents) > limit:
            return documents[:limit], documents[limit - 1].id
        last_key = response.get("LastEvaluatedKey")
        if not last_key:
            return documents, None
        return documents, str(last_key[schema.SORT_KEY]["S"]).removeprefix(schema.DOCUMENT_PREFIX)

    def claim_idempotency(
        self, owner_key: str, key_digest: str, *, fingerprint: str, document_id: str, now: int
    ) -> IdempotencyRecord | None:
        """Record a pending request under the key; ``None`` if claimed, else the earlier (live) record.

        One conditional PutItem decides: the key is free (never used, or expired by ``now`` even if
        DynamoDB's lazy TTL has not deleted it yet), or the earlier record comes back with the refusal
        (``ReturnValuesOnConditionCheckFailure=ALL_OLD``), so no second read can race with it.
        """
        item = {
            schema.PARTITION_KEY: {"S": schema.owner_partition(owner_key)},
            schema.SORT_KEY: {"S": schema.idempotency_sort_key(key_digest)},
            "fingerprint": {"S": fingerprint},
            "documentId": {"S": document_id},
            "state": {"S": STATE_PENDING},
            schema.TTL_ATTRIBUTE: {"N": str(now + TTL_SECONDS)},
        }
        try:
            self._call(
                "PutItem",
                lambda: self._client.put_item(
                    TableName=self._table,
                    Item=item,
                    ConditionExpression="attribute_not_exists(#pk) OR #expires < :now",
                    ExpressionAttributeNames={"#pk": schema.PARTITION_KEY, "#expires": schema.TTL_ATTRIBUTE},
                    ExpressionAttributeValues={":now": {"N": str(now)}},
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                ),
            )
        except _ConditionFailed as failed:
            old = failed.item
            if not old:  # an SDK or emulator that does not return the item: nothing safe to go on
                LOGGER.warning("Idempotency record refused without the record")
                raise CatalogueError(REFUSED_MESSAGE) from None
            return IdempotencyRecord(
                document_id=old["documentId"]["S"],
                fingerprint=old["fingerprint"]["S"],
                state=old["state"]["S"],
                response=old["response"]["S"] if "response" in old else None,
            )
        return None

    def complete_idempotency(
        self, owner_key: str, key_digest: str, *, document_id: str, response: str
    ) -> None:
        """Mark the key's record completed with the 201 body; a record that is gone or reclaimed is left."""
        try:
            self._call(
                "UpdateItem",
                lambda: self._client.update_item(
                    TableName=self._table,
                    Key={
                        schema.PARTITION_KEY: {"S": schema.owner_partition(owner_key)},
                        schema.SORT_KEY: {"S": schema.idempotency_sort_key(key_digest)},
                    },
                    UpdateExpression="SET #state = :completed, #response = :response",
                    ConditionExpression="#document = :document",
                    ExpressionAttributeNames={
                        "#state": "state",
                        "#response": "response",
                        "#document": "documentId",
                    },
                    ExpressionAttributeValues={
                        ":completed": {"S": STATE_COMPLETED},
                        ":response": {"S": response},
                        ":document": {"S": document_id},
                    },
                ),
            )
        except _ConditionFailed:
            LOGGER.warning("Idempotency record was gone or taken over before it was completed")

    def create_session(self, owner_key: str, session: UploadSession) -> bool:
        """Create the session's item unless one exists (never overwrites); ``False`` if one did."""
        try:
            self._call(
                "PutItem",
                lambda: self._client.put_item(
                    TableName=self._table,
                    Item=session_item(owner_key, session),
                    ConditionExpression="attribute_not_exists(#pk)",
                    ExpressionAttributeNames={"#pk": schema.PARTITION_KEY},
                ),
            )
        except _ConditionFailed:
            return False
        return True

    def get_session(self, owner_key: str, upload_id: str) -> UploadSession | None:
        """The owner's session ``upload_id``, read consistently; ``None`` if the owner has none by that id.

        The key is built from the caller's owner key, so another owner's session is not found (the
        same answer as a session that never existed). The stored status is returned as is; read it
        through ``UploadSession.status_at`` (a session past its time reads ``expired``).
        """
        response = self._call(
            "GetItem",
            lambda: self._client.get_item(
                TableName=self._table, Key=_session_key(owner_key, upload_id), ConsistentRead=True
            ),
        )
        item = response.get("Item")
        return session_from_item(item) if item else None

    def transition_session(
        self,
        owner_key: str,
        upload_id: str,
        from_statuses: Iterable[UploadStatus],
        to_status: UploadStatus,
        *,
        now: float,
        error: UploadError | None = None,
        document_id: str | None = None,
    ) -> UploadSession:
        """Move the session from one of ``from_statuses`` to ``to_status``; return it as written.

        One conditional ``UpdateItem`` decides, so of two racing moves exactly one wins. Leaving
        ``awaiting-parts`` also needs the clock: to ``expired`` only once ``expiresAt`` has passed, to
        anything else only before. Each move resets ``expiresAt`` (the TTL) to ``now`` + 24 h, so a
        session being processed is not deleted under the processor and its outcome stays readable.
        ``error`` is required for (and only for) ``rejected``, ``document_id`` for ``stored``.

        Raises ``NotFoundError`` (404) when the owner has no such session, ``InvalidUploadStateError``
        (409; its ``session`` is the one found) when it is not in ``from_statuses`` at ``now``, and
        ``ValueError`` for a move the state machine does not have (a programming error, not a request's).
        """
        sources = frozenset(from_statuses)
        illegal = sorted(str(source) for source in sources if not can_transition(source, to_status))
        if not sources or illegal:
            raise ValueError(f"no transition from {illegal or 'nothing'} to {str(to_status)!r}")
        if (error is not None) != (to_status is UploadStatus.REJECTED):
            raise ValueError("error is required for, and only for, the move to 'rejected'")
        if (document_id is not None) != (to_status is UploadStatus.STORED):
            raise ValueError("document_id is required for, and only for, the move to 'stored'")
        names = {
            "#pk": schema.PARTITION_KEY,
            "#status": "status",
            "#updated": "updatedAt",
            "#expires": schema.TTL_ATTRIBUTE,
        }
        values: dict[str, Any] = {
            ":to": {"S": str(to_status)},
            ":updated": {"S": rfc3339(now)},
            ":retain": {"N": str(int(now) + SESSION_LIFETIME_SECONDS)},
        }
        placeholders: dict[UploadStatus, str] = {}
        for index, source in enumerate(sorted(sources)):
            values[f":from{index}"] = {"S": str(source)}
            placeholders[source] = f":from{index}"
        condition = f"attribute_exists(#pk) AND #status IN ({', '.join(placeholders.values())})"
        expiring = [placeholders[source] for source in sorted(sources & EXPIRING_STATUSES)]
        if expiring:
            # ``status_at``: awaiting parts (or a scan result) reads ``expired`` from ``expiresAt`` on
            # (``now`` >= it); a source that does not expire (``processing``) is not held to the clock.
            clock = "#expires <= :now" if to_status is UploadStatus.EXPIRED else "#expires > :now"
            values[":now"] = {"N": str(math.floor(now))}
            if len(expiring) < len(sources):
                clock = f"(NOT #status IN ({', '.join(expiring)}) OR {clock})"
            condition = f"{condition} AND {clock}"
        update = "SET #status = :to, #updated = :updated, #expires = :retain"
        if error is not None:
            names["#error"] = "error"
            values[":error"] = _error_attribute(error)
            update += ", #error = :error"
        if document_id is not None:
            names["#document"] = "documentId"
            values[":document"] = {"S": document_id}
            update += ", #document = :document"
        try:
            response = self._call(
                "UpdateItem",
                lambda: self._client.update_item(
                    TableName=self._table,
                    Key=_session_key(owner_key, upload_id),
                    UpdateExpression=update,
                    ConditionExpression=condition,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                ),
            )
        except _ConditionFailed as failed:
            if not failed.item:
                raise NotFoundError("No such upload session.") from None
            found = session_from_item(failed.item)
            current = found.status_at(now)
            early = to_status is UploadStatus.EXPIRED and current in sources
            message = "The upload session has not expired yet." if early else None
            raise InvalidUploadStateError(current, sources, session=found, message=message) from None
        return session_from_item(response["Attributes"])

    def list_sessions(
        self, owner_key: str, *, limit: int, after_id: str | None
    ) -> tuple[list[UploadSession], str | None]:
        """One page of the owner's sessions, newest first (one consistent ``Query``), and the id to
        continue after (``None``: done). Reads ``limit`` + 1 items, as ``query_documents`` does."""
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :upload)",
            "ExpressionAttributeNames": {"#pk": schema.PARTITION_KEY, "#sk": schema.SORT_KEY},
            "ExpressionAttributeValues": {
                ":pk": {"S": schema.owner_partition(owner_key)},
                ":upload": {"S": schema.UPLOAD_PREFIX},
            },
            "ScanIndexForward": False,
            "Limit": limit + 1,
            "ConsistentRead": True,
        }
        if after_id is not None:
            arguments["ExclusiveStartKey"] = _session_key(owner_key, after_id)
        response = self._call("Query", lambda: self._client.query(**arguments))
        sessions = [session_from_item(item) for item in response.get("Items", [])]
        if len(sessions) > limit:
            return sessions[:limit], sessions[limit - 1].id
        last_key = response.get("LastEvaluatedKey")
        if not last_key:
            return sessions, None
        return sessions, str(last_key[schema.SORT_KEY]["S"]).removeprefix(schema.UPLOAD_PREFIX)

    def _call(self, operation: str, call: Callable[[], _T]) -> _T:
        try:
            return call()
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code == CONDITION_FAILED:
                old: Any = error.response.get("Item")
                raise _ConditionFailed(old if isinstance(old, dict) else None) from None
            LOGGER.warning("DynamoDB call failed", extra={"operation": operation, "dynamodbErrorCode": code})
            if code in UNAVAILABLE_CODES:
                raise CatalogueUnavailableError(UNAVAILABLE_MESSAGE) from error
            raise CatalogueError(REFUSED_MESSAGE) from error
        except TRANSPORT_ERRORS as error:
            LOGGER.warning(
                "DynamoDB call did not complete",
                extra={"operation": operation, "dynamodbErrorCode": type(error).__name__},
            )
            raise CatalogueUnavailableError(UNAVAILABLE_MESSAGE) from error
        except BotoCoreError as error:
            LOGGER.warning(
                "DynamoDB call failed",
                extra={"operation": operation, "dynamodbErrorCode": type(error).__name__},
            )
            raise CatalogueError(REFUSED_MESSAGE) from error


_PROJECTED_NAMES: dict[str, str] = {
    f"#p{index}": name
    for index, name in enumerate(("id", "contentType", "size", "sha256", "filename", "facts"))
}
"""What ``document_from_item`` reads: a page carries nothing else (half the bytes of whole items)."""
_PROJECTION = ", ".join(_PROJECTED_NAMES)


def _key(owner_key: str, document_id: str) -> dict[str, Any]:
    return {
        schema.PARTITION_KEY: {"S": schema.owner_partition(owner_key)},
        schema.SORT_KEY: {"S": schema.document_sort_key(document_id)},
    }


def _session_key(owner_key: str, upload_id: str) -> dict[str, Any]:
    return {
        schema.PARTITION_KEY: {"S": schema.owner_partition(owner_key)},
        schema.SORT_KEY: {"S": schema.upload_sort_key(upload_id)},
    }


class _ConditionFailed(Exception):  # internal signal, never escapes this module
    """A conditional write was refused; ``item`` is the existing item when it was asked for."""

    def __init__(self, item: dict[str, Any] | None) -> None:
        super().__init__()
        self.item = item
