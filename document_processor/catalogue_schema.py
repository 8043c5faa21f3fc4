"""The catalogue table's shape, declared once: the service, the reconciler, local mode's emulator and the
Pulumi component (lib/catalogue_stack.py) all read it, so the deployed table and the code that queries
it cannot drift apart. Standard library only: it ships inside the Lambda package.

One table holds every caller's items (DESIGN §4.1). The partition is the caller's owner key, so one
``Query`` per page lists one caller's documents and nothing else; the sort key says what an item is:

- ``DOC#<id>``: a document (ids are time-ordered, so the sort key orders by creation time);
- ``IDEM#<sha256 of the Idempotency-Key>``: the record of one idempotent request, expiring after 24 h;
- ``UPLOAD#<upload id>``: one large-upload session (DESIGN §4.2, ``uploads.py``), expiring after 24 h
  (ids are time-ordered here too, so a reverse ``Query`` lists the newest session first).

The ``byType`` index (partition ``<owner key>#<media type>``, same sort key) serves the
``contentType=`` filter with full pages in date order; only document items carry ``typeKey``.
"""

from __future__ import annotations

from typing import Any, Final

PARTITION_KEY: Final = "pk"
SORT_KEY: Final = "sk"
TYPE_INDEX: Final = "byType"
TYPE_INDEX_PARTITION_KEY: Final = "typeKey"
TTL_ATTRIBUTE: Final = "expiresAt"
"""Epoch seconds after which DynamoDB may delete the item (idempotency records, upload sessions).

DynamoDB deletes expired items lazily (typically within days), so readers compare it with the clock too."""

OWNER_PREFIX: Final = "OWNER#"
DOCUMENT_PREFIX: Final = "DOC#"
IDEMPOTENCY_PREFIX: Final = "IDEM#"
UPLOAD_PREFIX: Final = "UPLOAD#"

KEY_SCHEMA: Final[tuple[dict[str, str], ...]] = (
    {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
    {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
)
"""The table's primary key, in the shape of DynamoDB's ``CreateTable``."""
ATTRIBUTE_DEFINITIONS: Final[tuple[dict[str, str], ...]] = (
    {"AttributeName": PARTITION_KEY, "AttributeType": "S"},
    {"AttributeName": SORT_KEY, "AttributeType": "S"},
    {"AttributeName": TYPE_INDEX_PARTITION_KEY, "AttributeType": "S"},
)
"""Every key attribute of the table and its index (``CreateTable`` shape)."""
GLOBAL_SECONDARY_INDEXES: Final[tuple[dict[str, Any], ...]] = (
    {
        "IndexName": TYPE_INDEX,
        "KeySchema": [
            {"AttributeName": TYPE_INDEX_PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
        ],
        # A listing page returns full metadata, so the index carries every attribute.
        "Projection": {"ProjectionType": "ALL"},
    },
)
"""The table's indexes (``CreateTable`` shape, on-demand: no provisioned throughput)."""


def owner_partition(owner_key: str) -> str:
    """The partition holding every item of one owner (``Caller.owner_key``) and nobody else's."""
    return f"{OWNER_PREFIX}{owner_key}"


def document_sort_key(document_id: str) -> str:
    """The sort key of a document item."""
    return f"{DOCUMENT_PREFIX}{document_id}"


def idempotency_sort_key(key_digest: str) -> str:
    """The sort key of an idempotency record (``key_digest``: SHA-256 hex of the client's key)."""
    return f"{IDEMPOTENCY_PREFIX}{key_digest}"


def upload_sort_key(upload_id: str) -> str:
    """The sort key of an upload session (``upload_id``: a canonical id, also its document's id)."""
    return f"{UPLOAD_PREFIX}{upload_id}"


def type_key(owner_key: str, media_type: str) -> str:
    """The ``byType`` partition of one owner's documents of one media type."""
    return f"{owner_key}#{media_type}"


def create_table_arguments(table_name: str) -> dict[str, Any]:
    """``CreateTable`` arguments for a table of this shape (local mode's emulator creates it with them)."""
    return {
        "TableName": table_name,
        "KeySchema": [dict(item) for item in KEY_SCHEMA],
        "AttributeDefinitions": [dict(item) for item in ATTRIBUTE_DEFINITIONS],
        "GlobalSecondaryIndexes": [dict(index) for index in GLOBAL_SECONDARY_INDEXES],
        "BillingMode": "PAY_PER_REQUEST",
    }
