"""The catalogue reconciler: ``document_processor.reconciler.lambda_handler``, driven by S3 events.

The upload and delete paths write S3 first and the catalogue second; a crash, timeout or DynamoDB error
between the two leaves a stored document missing from the listing, or a listed document that is gone.
Every ``ObjectCreated``/``ObjectRemoved`` event under ``documents/`` invokes this function (asynchronously),
and it makes the catalogue agree with S3 *for that key*, whatever the event says:

- the object exists and records an owner whose key is the key's owner segment → the item is created from
  the object's metadata, the same mapping ``GET /documents/{id}`` uses, with a conditional write that never
  overwrites; if this call created it, S3 is asked again, and the item removed if the object vanished
  meanwhile (a delete that raced this reconcile, whose own reconcile may already have run);
- the object does not exist (deleted, or a delete marker is current) → the item is deleted (idempotent).

So the outcome depends only on S3's state when the record is processed: events may arrive twice, late or
out of order, and a retry of a whole event is harmless. A record that can never succeed (another bucket,
a key that is not a document, a malformed record) is skipped with a warning; any other failure is logged
and re-raised after the remaining records ran, so Lambda's asynchronous retries and then the failure
destination (with its alarm) take over. Settings are read once per execution environment, like the API
handler; a configuration problem is logged at start-up and every invocation then fails (its events land
in the failure destination instead of being dropped).
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from document_processor.catalogue import Catalogue, create_dynamodb_client
from document_processor.documents import KEY_PREFIX, META_OWNER, document_from_object
from document_processor.event_batch import BatchReport, run_batch, s3_record_key
from document_processor.identity import normalise_principal
from document_processor.ids import is_valid_document_id
from document_processor.observability import configure_logging, write_line
from document_processor.settings import OwnerScope, Settings, load_settings
from document_processor.storage import DocumentStore, create_s3_client

if TYPE_CHECKING:
    from collections.abc import Callable

LOGGER = logging.getLogger("document_processor.reconciler")
OWNER_KEY_LENGTH = 64
"""An owner segment is the SHA-256 hex of the owner's principal (``identity.Caller.owner_key``)."""
_HEX_DIGITS = frozenset("0123456789abcdef")


class Outcome(StrEnum):
    """What reconciling one record did (counted on the invocation's log line)."""

    CREATED = "created"
    """The item was missing and is now written: the synchronous write had failed (a repair), or this
    write won a race with it (the same item either way: both come from the same metadata)."""
    PRESENT = "present"
    """The object exists and its item was already there (the usual case)."""
    REMOVED = "removed"
    """The object is gone; its item is deleted (whether or not there was one)."""
    VANISHED = "vanished"
    """The item was created, then the object was found deleted meanwhile: the item is deleted again."""
    NOT_OWNED = "not_owned"
    """The object records no owner, or one whose key is not the key's owner segment: never listed."""
    SKIPPED = "skipped"
    """Not a record this function handles (another bucket, not a document key, malformed)."""


class DocumentKey(NamedTuple):
    """A key of the form ``documents/<owner-key>/<id>``, split."""

    key: str
    owner_key: str
    document_id: str


class ReconcileError(Exception):
    """Some records of an event could not be reconciled; raised so Lambda retries the event."""


def parse_document_key(key: str) -> DocumentKey | None:
    """The owner key and id of a document key; ``None`` for any other key (exactly one shape is accepted)."""
    if not key.startswith(KEY_PREFIX):
        return None
    parts = key[len(KEY_PREFIX) :].split("/")
    if len(parts) != 2:  # owner segment and id
        return None
    owner_key, document_id = parts
    if len(owner_key) != OWNER_KEY_LENGTH or not _HEX_DIGITS.issuperset(owner_key):
        return None
    if not is_valid_document_id(document_id):
        return None
    return DocumentKey(key=key, owner_key=owner_key, document_id=document_id)


def recorded_owner_key(owner: str) -> str | None:
    """The owner key of the principal an object records as its owner; ``None`` if that is no principal.

    The recorded owner is already normalised (``Caller.principal`` at upload). Session scope keeps every
    principal ARN whole, so this is the key of exactly the recorded string, derived where the API derives
    it (``identity``), whichever scope the API runs with.
    """
    try:
        caller = normalise_principal(owner, OwnerScope.SESSION)
    except ValueError:
        return None
    return caller.owner_key if caller.principal == owner else None


class Reconciler:
    """Makes the catalogue agree with S3 for the keys named by S3 event records."""

    def __init__(self, store: DocumentStore, catalogue: Catalogue, *, bucket: str) -> None:
        self._store = store
        self._catalogue = catalogue
        self._bucket = bucket

    def reconcile_record(self, record: object) -> Outcome:
        """Reconcile the key one event record names; skip (with a warning) records that are not ours."""
        located = self._document_key(record)
        if located is None:
            return Outcome.SKIPPED
        return self.reconcile_key(located)

    def reconcile_key(self, located: DocumentKey) -> Outcome:
        """Bring the catalogue item of ``located`` in line with the object's current state in S3."""
        stored = self._store.head(located.key)
        if stored is None:
            self._catalogue.delete_document(located.owner_key, located.document_id)
            return Outcome.REMOVED
        owner = stored.metadata.get(META_OWNER)
        if not owner or recorded_owner_key(owner) != located.owner_key:
            # GET /documents/{id} answers 404 for such an object, so no listing may show it either.
            LOGGER.warning(
                "Object under a document key records another owner or none; not listed",
                extra={"documentId": located.document_id},
            )
            self._catalogue.delete_document(located.owner_key, located.document_id)
            return Outcome.NOT_OWNED
        document = document_from_object(located.document_id, stored)
        if not self._catalogue.put_document(located.owner_key, document, owner=owner):
            return Outcome.PRESENT
        if self._store.head(located.key) is None:
            # Deleted between the first look and the write: the delete's own reconcile may have run
            # before this write, so this one removes the item it just created.
            self._catalogue.delete_document(located.owner_key, located.document_id)
            return Outcome.VANISHED
        LOGGER.warning(
            "Catalogue item was missing for a stored document; created",
            extra={"documentId": located.document_id},
        )
        return Outcome.CREATED

    def _document_key(self, record: object) -> DocumentKey | None:
        """The document key of an S3 event record of our bucket, or ``None`` (warned) for anything else."""
        key = s3_record_key(record, bucket=self._bucket, logger=LOGGER)
        if key is None:
            return None
        located = parse_document_key(key)
        if located is None:
            event_name = str(cast("dict[str, Any]", record).get("eventName", ""))
            LOGGER.warning(
                "Skipping a record for a key that is not a document", extra={"eventName": event_name}
            )
        return located


RUN_REPORT = BatchReport(
    function="reconciler",
    outcomes=Outcome,
    done_message="Event reconciled",
    record_failed_message="Could not reconcile a record; the event will be retried",
    failure_metric="ReconcileFailures",
    error=ReconcileError,
    outcome_metrics={Outcome.CREATED: "CatalogueItemsRepaired"},
)
"""How an invocation reports (``event_batch.run_batch``): one line, the repairs and failures as metrics."""


def run(
    reconciler: Reconciler | None,
    event: object,
    context: object,
    *,
    settings: Settings,
    sink: Callable[[str], None] = write_line,
) -> dict[str, Any]:
    """Reconcile every record of ``event``; write one log line with counts; raise if any record failed."""
    return run_batch(
        None if reconciler is None else reconciler.reconcile_record,
        event,
        context,
        report=RUN_REPORT,
        settings=settings,
        logger=LOGGER,
        sink=sink,
    )


def build(settings: Settings) -> Reconciler | None:
    """The reconciler for ``settings``; ``None`` (logged once, here) when misconfigured."""
    bucket, table = settings.documents_bucket, settings.catalogue_table
    if settings.problems or bucket is None or table is None:
        LOGGER.error(
            "Configuration is invalid: every event will fail", extra={"problems": list(settings.problems)}
        )
        return None
    try:
        store = DocumentStore(create_s3_client(), bucket)
        catalogue = Catalogue(create_dynamodb_client(), table)
    except Exception:
        LOGGER.exception("Could not create the AWS clients: every event will fail")
        return None
    return Reconciler(store, catalogue, bucket=bucket)


SETTINGS = load_settings()
configure_logging(SETTINGS)
RECONCILER = build(SETTINGS)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """AWS Lambda entry point for S3 event notifications (invoked asynchronously)."""
    return run(RECONCILER, event, context, settings=SETTINGS)
