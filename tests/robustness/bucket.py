"""What a bucket holds, read past the API: the ground truth the "nothing written" checks compare."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


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
