"""What a bucket and a catalogue table hold, read past the API: the ground truth the "nothing written"
checks compare, and the S3 events the bucket sent (what drives the reconciler)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

CREATED = "ObjectCreated:Put"
DELETE_MARKER_CREATED = "ObjectRemoved:DeleteMarkerCreated"


def bucket_versions(s3: S3Client, bucket: str) -> list[tuple[str, str, bool]]:
    """Every version and delete marker in ``bucket``, sorted: (key, version id, is delete marker).

    Read page by page: a bucket shared by a whole session (local mode's) easily holds more than the
    1,000 entries of one ``ListObjectVersions`` page, and a write beyond the first page must still show.
    """
    entries: list[tuple[str, str, bool]] = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        entries += [(version["Key"], version["VersionId"], False) for version in page.get("Versions", [])]
        entries += [(marker["Key"], marker["VersionId"], True) for marker in page.get("DeleteMarkers", [])]
    return sorted(entries)


def table_keys(dynamodb: DynamoDBClient, table: str) -> list[tuple[str, str]]:
    """Every item's key in ``table``, sorted: (partition key, sort key). Consistent reads, every page."""
    keys: list[tuple[str, str]] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        keys += [(item["pk"]["S"], item["sk"]["S"]) for item in page.get("Items", [])]
    return sorted(keys)


def bucket_events(s3: S3Client, bucket: str) -> dict[str, Any]:
    """One S3 event with a record per key the bucket ever held, named for the key's current state.

    What S3 sent the reconciler, condensed: the latest event of each key (created, or a delete marker).
    The reconciler decides from S3's state, not the event name, so this is the event every delivery
    of the bucket's notifications would reconcile to (in AWS's record shape, key URL-encoded).
    """
    latest: dict[str, bool] = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for version in page.get("Versions", []):
            if version.get("IsLatest"):
                latest[version["Key"]] = False
        for marker in page.get("DeleteMarkers", []):
            if marker.get("IsLatest"):
                latest[marker["Key"]] = True
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "eventName": DELETE_MARKER_CREATED if deleted else CREATED,
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": {"key": quote_plus(key, safe="/")},
                },
            }
            for key, deleted in sorted(latest.items())
        ]
    }
