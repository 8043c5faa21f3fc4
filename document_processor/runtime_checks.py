"""The S3 request members the storage layer sends, checked against the SDK the function actually loaded.

The package bundles no boto3: the Lambda runtime's own is used (bundling it would add megabytes to
every cold start's download; see docs/service.md, "The runtime's SDK"). A botocore whose S3 model lacks
``IfNoneMatch`` on ``PutObject`` does not refuse the argument quietly: it fails every upload with a
parameter-validation error, and one that predates flexible checksums cannot send the SHA-256 S3 is asked
to verify. So the model is checked once, when the client is made, and an old SDK is named in a clear
error (logged at start-up by the handler) instead of surfacing as 502s on the first upload.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Mapping

    from botocore.model import ServiceModel
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

MINIMUM_BOTOCORE: Final = "1.35.2"
"""First botocore whose S3 model has ``PutObject`` ``IfNoneMatch`` (conditional writes, 2024-08-20).

The checksum members (``ChecksumAlgorithm``, ``ChecksumSHA256``, ``ChecksumMode``) are older (2022-02).
"""
REQUIRED_S3_MEMBERS: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "PutObject": frozenset({"IfNoneMatch", "ChecksumAlgorithm", "ChecksumSHA256"}),
        "HeadObject": frozenset({"ChecksumMode"}),
        "GetObject": frozenset({"ChecksumMode"}),
    }
)
"""Per S3 operation, the request members ``document_processor.storage`` passes that old SDKs lack."""
REQUIRED_DYNAMODB_MEMBERS: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {"PutItem": frozenset({"ReturnValuesOnConditionCheckFailure"})}
)
"""Per DynamoDB operation, the request members ``document_processor.catalogue`` passes that old SDKs lack
(the Idempotency-Key claim reads the earlier record from its refusal; DynamoDB added that in June 2023)."""


class UnsupportedSdkError(RuntimeError):
    """The loaded botocore cannot make the S3 requests the service relies on."""


def missing_s3_members(model: ServiceModel) -> list[str]:
    """``Operation.Member`` for every required S3 request member absent from ``model`` (sorted)."""
    return missing_members(model, REQUIRED_S3_MEMBERS)


def missing_members(model: ServiceModel, required: Mapping[str, frozenset[str]]) -> list[str]:
    """``Operation.Member`` for every ``required`` request member absent from ``model`` (sorted)."""
    missing: list[str] = []
    for operation, members in required.items():
        shape = model.operation_model(operation).input_shape
        present = set(shape.members) if shape is not None else set()
        missing.extend(f"{operation}.{member}" for member in sorted(members - present))
    return sorted(missing)


def require_s3_features(client: S3Client) -> None:
    """Raise ``UnsupportedSdkError`` naming the botocore found and the one needed, if the model is old."""
    missing = missing_s3_members(client.meta.service_model)
    if missing:
        import botocore

        raise UnsupportedSdkError(
            f"botocore {botocore.__version__} (loaded from {botocore.__file__}) lacks S3 request members "
            f"this service sends: {', '.join(missing)}. It needs botocore >= {MINIMUM_BOTOCORE} "
            "(S3 conditional writes); use a Lambda runtime with a newer SDK, or bundle pinned boto3 and "
            "botocore in the deployment package."
        )


def require_dynamodb_features(client: DynamoDBClient) -> None:
    """Raise ``UnsupportedSdkError`` naming the botocore found, if its DynamoDB model is too old."""
    missing = missing_members(client.meta.service_model, REQUIRED_DYNAMODB_MEMBERS)
    if missing:
        import botocore

        raise UnsupportedSdkError(
            f"botocore {botocore.__version__} (loaded from {botocore.__file__}) lacks DynamoDB request "
            f"members this service sends: {', '.join(missing)}. Use a Lambda runtime with a newer SDK "
            "(one released after June 2023), or bundle pinned boto3 and botocore in the deployment package."
        )
