"""IAM, bucket, endpoint and key policy documents as plain dicts.

Pure functions of resolved strings: the components call them inside ``Output.apply`` and serialise
the result, and the unit tests call them directly. Account, partition and region always come in as
arguments (from data sources), never hard-coded.
"""

from __future__ import annotations

from typing import Any, Final

from document_processor.catalogue_schema import TYPE_INDEX
from document_processor.malware_scan import SCAN_STATUS_TAG, ScanResult

PolicyDocument = dict[str, Any]
Statement = dict[str, Any]

VERSION: Final = "2012-10-17"
LAMBDA_PRINCIPAL: Final = "lambda.amazonaws.com"
MINIMUM_TLS_VERSION: Final = "1.2"
DOCUMENTS_PREFIX: Final = "documents/"
"""Every object the service writes lives under this prefix (see contracts: ``documents/<owner>/<id>``)."""

LAMBDA_OBJECT_ACTIONS: Final = ("s3:DeleteObject", "s3:GetObject", "s3:PutObject")
"""Exactly the object calls the service makes (HeadObject is authorised by s3:GetObject)."""

DATA_PLANE_ACTIONS: Final = (
    "s3:AbortMultipartUpload",
    "s3:DeleteObject",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersion",
    "s3:DeleteObjectVersionTagging",
    "s3:GetObject",
    "s3:GetObjectAcl",
    "s3:GetObjectAttributes",
    "s3:GetObjectTagging",
    "s3:GetObjectVersion",
    "s3:GetObjectVersionAcl",
    "s3:GetObjectVersionAttributes",
    "s3:GetObjectVersionForReplication",
    "s3:GetObjectVersionTagging",
    "s3:ListBucketMultipartUploads",
    "s3:ListBucketVersions",
    "s3:ListMultipartUploadParts",
    "s3:PutObject",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionTagging",
    "s3:ReplicateDelete",
    "s3:ReplicateObject",
    "s3:ReplicateTags",
    "s3:RestoreObject",
)
"""Reads and writes of document content and versions. The bucket policy denies these, and only these,
to everyone but the Lambda role (and break-glass principals): management actions stay with IAM, so
the deploying principal can still manage the bucket (a blanket ``s3:*`` deny would lock it out).

The replication actions are here because replication is a management setting that copies content:
whoever may call ``PutReplicationConfiguration`` could otherwise have every document copied to a
bucket of their choosing by a role they pass (the replication role reads with
``GetObjectVersionForReplication``). The project never replicates (single region by requirement).

``s3:ListBucket`` is deliberately not here: S3 authorises ``HeadBucket`` with it, and the Pulumi AWS
provider calls ``HeadBucket`` whenever it reads the bucket, so denying it breaks refresh and updates.
A listing shows only keys (``documents/<owner digest>/<random id>``), never content, and still needs
an IAM grant."""

VPC_ACCESS_ACTIONS: Final = (
    "ec2:AssignPrivateIpAddresses",
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:UnassignPrivateIpAddresses",
)
"""What Lambda needs to attach the function to the VPC (the AWSLambdaVPCAccessExecutionRole set)."""

XRAY_ACTIONS: Final = ("xray:PutTelemetryRecords", "xray:PutTraceSegments")

CATALOGUE_ITEM_ACTIONS: Final = (
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
)
"""The item calls the API makes on the catalogue table (document items, idempotency records and upload
sessions).

``GetItem`` is for upload sessions only (``Catalogue.get_session``: one consistent read of the caller's
session); the idempotency claim still reads an earlier record through its conditional PutItem
(``ReturnValuesOnConditionCheckFailure``)."""
CATALOGUE_QUERY_ACTIONS: Final = ("dynamodb:Query",)
"""Listings: one Query per page, on the table or on the ``byType`` index."""
RECONCILER_ITEM_ACTIONS: Final = ("dynamodb:DeleteItem", "dynamodb:PutItem")
"""The reconciler creates missing items (conditional PutItem) and removes orphans; no reads, no updates."""
RECONCILER_OBJECT_ACTIONS: Final = ("s3:GetObject",)
"""The reconciler only reads (HeadObject is authorised by s3:GetObject)."""
DYNAMODB_KEY_ACTIONS: Final = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")
"""What a caller of a table encrypted with a customer managed key needs on that key, through DynamoDB
(the KMS developer guide's "How Amazon DynamoDB uses AWS KMS" key policy, without ``kms:CreateGrant``:
only the principal that creates the table needs that, and that is the deployer)."""
SQS_KEY_ACTIONS: Final = ("kms:Decrypt", "kms:GenerateDataKey")
"""What a producer needs to send to an SSE-KMS queue (SQS developer guide, "Key management")."""
AUDITOR_ACTIONS: Final = ("logs:FilterLogEvents", "logs:GetLogEvents")

INGEST_PREFIX: Final = "ingest/"
"""Quarantine keys: ``ingest/<owner key>/<upload id>`` (DESIGN §4.2); nothing may be put elsewhere."""
QUERY_STRING_AUTH: Final = "REST-QUERY-STRING"
"""``s3:authType`` of a presigned URL. S3's valid values are ``REST-HEADER`` (Authorization header),
``REST-QUERY-STRING`` (presigned URL) and ``POST`` (browser POST form) (S3 API Reference, "Amazon S3
Signature Version 4 Authentication Specific Policy Keys", bucket-policy-s3-sigv4-conditions.html)."""
SIGV4: Final = "AWS4-HMAC-SHA256"
"""``s3:signatureversion`` of Signature Version 4 (Version 2 is ``AWS``; same page). Required because S3
sets ``s3:signatureAge`` to 0 for every Version 2 signature: without this, an age bound proves nothing."""
MAX_PRESIGNED_UPLOAD_AGE_MS: Final = 900_000
"""Upper bound of the ingest policy's signature age: DESIGN §4.2 caps part URLs at 15 minutes."""
MAX_PRESIGNED_DOWNLOAD_AGE_MS: Final = 300_000
"""Upper bound (and default) of the vault's download exception: download URLs live at most 5 minutes."""
INGEST_API_ACTIONS: Final = (
    "s3:AbortMultipartUpload",
    "s3:DeleteObject",
    "s3:ListMultipartUploadParts",
    "s3:PutObject",
)
"""What the API role does under ``ingest/``: CreateMultipartUpload, UploadPart (the presigned part URLs are
authorised as the signer) and CompleteMultipartUpload are all ``s3:PutObject``; DELETE /uploads aborts
and deletes; GET /uploads/{id} lists the parts received. It never reads quarantined bytes."""
PROCESSOR_VAULT_ACTIONS: Final = ("s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject")
"""The processor's whole business with the vault: HeadObject of the target (``s3:GetObject``), the
server-side copy in (CopyObject, or CreateMultipartUpload / UploadPartCopy / CompleteMultipartUpload
above 5 GiB: ``s3:PutObject``) and the abort of a failed multipart copy. Never a delete: a document in
the vault is removed only by its owner through the API."""
PROCESSOR_ITEM_ACTIONS: Final = (
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
)
"""The processor reads the session (GetItem), moves it (UpdateItem), writes the document's catalogue item
(PutItem) and removes it again when a crash left it behind a rejected copy (DeleteItem)."""
INGEST_PROCESSOR_ACTIONS: Final = ("s3:DeleteObject", "s3:GetObject")
"""All the processor does to a quarantined object: read it (GetObject also authorises HeadObject and the
source side of CopyObject / UploadPartCopy into the vault) and delete it afterwards. It never writes there."""


def document(*statements: Statement) -> PolicyDocument:
    return {"Version": VERSION, "Statement": list(statements)}


def service_assume_role_policy(
    service: str, *, source_account: str | None = None, source_arn_like: str | None = None
) -> PolicyDocument:
    """Trust one AWS service principal, optionally only on behalf of one account / resource pattern."""
    statement: Statement = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    condition: dict[str, dict[str, str]] = {}
    if source_account is not None:
        condition["StringEquals"] = {"aws:SourceAccount": source_account}
    if source_arn_like is not None:
        condition["ArnLike"] = {"aws:SourceArn": source_arn_like}
    if condition:
        statement["Condition"] = condition
    return document(statement)


def catalogue_index_arn(table_arn: str) -> str:
    """The ``byType`` index: DynamoDB authorises a Query on an index against this ARN, not the table's."""
    return f"{table_arn}/index/{TYPE_INDEX}"


def _list_documents(bucket_arn: str) -> Statement:
    return _list_prefix("ListDocuments", bucket_arn, DOCUMENTS_PREFIX)


def _list_prefix(sid: str, bucket_arn: str, prefix: str) -> Statement:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": bucket_arn,
        "Condition": {"StringLike": {"s3:prefix": f"{prefix}*"}},
    }


def _function_basics(log_group_arn: str) -> list[Statement]:
    """Every function's own log group, VPC network interfaces and X-Ray."""
    return [
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{log_group_arn}:*",
        },
        {
            # The EC2 network-interface actions Lambda performs for VPC access do not support
            # resource-level permissions or are called before the ENI exists, so they need "*".
            "Sid": "VpcNetworkInterfaces",
            "Effect": "Allow",
            "Action": list(VPC_ACCESS_ACTIONS),
            "Resource": "*",
        },
        {
            # X-Ray's put actions have no resource type: "*" is the only valid resource.
            "Sid": "XRayTraces",
            "Effect": "Allow",
            "Action": list(XRAY_ACTIONS),
            "Resource": "*",
        },
    ]


def _key_via(sid: str, actions: tuple[str, ...], kms_key_arn: str, service: str, region: str) -> Statement:
    """Use of the customer managed key only through one service (``kms:ViaService``)."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": list(actions),
        "Resource": kms_key_arn,
        "Condition": {"StringEquals": {"kms:ViaService": f"{service}.{region}.amazonaws.com"}},
    }


def lambda_role_policy(
    *,
    bucket_arn: str,
    log_group_arn: str,
    catalogue_table_arn: str,
    region: str,
    kms_key_arn: str | None = None,
    ingest_bucket_arn: str | None = None,
) -> PolicyDocument:
    """The API function's permissions: its bucket prefix, the catalogue's items, its own log group,
    VPC ENIs, X-Ray, (KMS through S3 and DynamoDB only); with ``ingest_bucket_arn``, its uploads under
    ``ingest/`` (``INGEST_API_ACTIONS``; the one key grant through S3 covers both buckets, which share
    the key in KMS mode)."""
    statements: list[Statement] = [
        {
            "Sid": "DocumentObjects",
            "Effect": "Allow",
            "Action": list(LAMBDA_OBJECT_ACTIONS),
            "Resource": f"{bucket_arn}/{DOCUMENTS_PREFIX}*",
        },
        _list_documents(bucket_arn),
    ]
    if ingest_bucket_arn is not None:
        statements.append(
            {
                "Sid": "IngestUploads",
                "Effect": "Allow",
                "Action": list(INGEST_API_ACTIONS),
                "Resource": f"{ingest_bucket_arn}/{INGEST_PREFIX}*",
            }
        )
    statements += [
        {
            "Sid": "CatalogueItems",
            "Effect": "Allow",
            "Action": list(CATALOGUE_ITEM_ACTIONS),
            "Resource": catalogue_table_arn,
        },
        {
            "Sid": "CatalogueQuery",
            "Effect": "Allow",
            "Action": list(CATALOGUE_QUERY_ACTIONS),
            "Resource": [catalogue_table_arn, catalogue_index_arn(catalogue_table_arn)],
        },
        *_function_basics(log_group_arn),
    ]
    if kms_key_arn is not None:
        statements += [
            _key_via("DocumentsKeyViaS3", ("kms:Decrypt", "kms:GenerateDataKey"), kms_key_arn, "s3", region),
            _key_via("CatalogueKeyViaDynamoDb", DYNAMODB_KEY_ACTIONS, kms_key_arn, "dynamodb", region),
        ]
    return document(*statements)


def reconciler_role_policy(
    *,
    bucket_arn: str,
    log_group_arn: str,
    catalogue_table_arn: str,
    failure_queue_arn: str,
    region: str,
    kms_key_arn: str | None = None,
) -> PolicyDocument:
    """The reconciler's permissions: read document objects, create/read/delete catalogue items, send
    failed events to its queue, its own log group, VPC ENIs, X-Ray, (KMS through each service only).

    ``s3:ListBucket``, only under ``documents/`` (an ``s3:prefix`` condition), lets it list exactly one key
    (``ListObjectsV2`` with ``Prefix=<key>``): a HeadObject carries no ``s3:prefix``, so S3 still answers 403
    rather than 404 for a missing key, and the listing is how the reconciler tells a removed document
    (delete its item) from a refused request (raise, so Lambda retries) (``DocumentStore.head``).
    """
    statements: list[Statement] = [
        {
            "Sid": "ReadDocumentObjects",
            "Effect": "Allow",
            "Action": list(RECONCILER_OBJECT_ACTIONS),
            "Resource": f"{bucket_arn}/{DOCUMENTS_PREFIX}*",
        },
        _list_documents(bucket_arn),
        {
            "Sid": "CatalogueItems",
            "Effect": "Allow",
            "Action": list(RECONCILER_ITEM_ACTIONS),
            "Resource": catalogue_table_arn,
        },
        {
            # Lambda's asynchronous invocation sends the failed event with the function's role.
            "Sid": "SendFailedEvents",
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": failure_queue_arn,
        },
        *_function_basics(log_group_arn),
    ]
    if kms_key_arn is not None:
        statements += [
            _key_via("DocumentsKeyViaS3", ("kms:Decrypt",), kms_key_arn, "s3", region),
            _key_via("CatalogueKeyViaDynamoDb", DYNAMODB_KEY_ACTIONS, kms_key_arn, "dynamodb", region),
            _key_via("FailureQueueKeyViaSqs", SQS_KEY_ACTIONS, kms_key_arn, "sqs", region),
        ]
    return document(*statements)


GUARDDUTY_MALWARE_PRINCIPAL: Final = "malware-protection-plan.guardduty.amazonaws.com"
"""The service that assumes the malware protection plan's role (GuardDuty User Guide, "Create or update
IAM role policy"); not the GuardDuty Malware Protection service-linked role's principal."""
EVENTS_PRINCIPAL: Final = "events.amazonaws.com"
MANAGED_SCAN_RULE_PREFIX: Final = "DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3"
"""GuardDuty creates and owns an EventBridge managed rule of this name prefix for each protected bucket."""
SCAN_VALIDATION_OBJECT: Final = "malware-protection-resource-validation-object"
"""The probe object GuardDuty puts at the bucket's root when the plan is created or its role changes."""
SCAN_TAG_ACTIONS: Final = (
    "s3:GetObjectTagging",
    "s3:GetObjectVersionTagging",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionTagging",
)
"""How GuardDuty writes ``GuardDutyMalwareScanStatus`` next to an object's other tags."""
SCANNER_OBJECT_ACTIONS: Final = ("s3:GetObject", "s3:GetObjectVersion", *SCAN_TAG_ACTIONS)
"""All GuardDuty's role does to a quarantined object: read it and tag it with the result."""
TAG_CHANGE_ACTIONS: Final = (
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersionTagging",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionTagging",
)
"""Every way to change an existing object's tags: with scanning on, GuardDuty's role alone may."""
UNSCANNED_READ_ACTIONS: Final = ("s3:GetObject", "s3:GetObjectVersion")
SCAN_CLEAN: Final = str(ScanResult.NO_THREATS_FOUND)
"""The one tag value that opens an object's bytes."""
"""Reads of an object's bytes (HeadObject, CopyObject's source, SelectObjectContent are ``s3:GetObject``)."""


def malware_scan_role_policy(
    *, bucket_arn: str, partition: str, region: str, account_id: str, kms_key_arn: str | None = None
) -> PolicyDocument:
    """GuardDuty Malware Protection's role on the ingest bucket (DESIGN §4.3): AWS's documented policy
    ("Create or update IAM role policy" in the GuardDuty User Guide), scoped to this one bucket and to
    ``ingest/`` for object reads and tags; the key only through S3 in KMS mode.

    GuardDuty manages its own EventBridge rule (``MANAGED_SCAN_RULE_PREFIX``, ``events:ManagedBy``
    itself), turns on the bucket's EventBridge notifications, checks ownership with ``s3:ListBucket``
    and puts ``SCAN_VALIDATION_OBJECT`` at the root when the plan is created.
    """
    managed_rules = f"arn:{partition}:events:{region}:{account_id}:rule/{MANAGED_SCAN_RULE_PREFIX}*"
    quarantined = f"{bucket_arn}/{INGEST_PREFIX}*"
    statements: list[Statement] = [
        {
            "Sid": "ManageItsEventBridgeRule",
            "Effect": "Allow",
            "Action": ["events:DeleteRule", "events:PutRule", "events:PutTargets", "events:RemoveTargets"],
            "Resource": managed_rules,
            "Condition": {"StringLike": {"events:ManagedBy": GUARDDUTY_MALWARE_PRINCIPAL}},
        },
        {
            "Sid": "ReadItsEventBridgeRule",
            "Effect": "Allow",
            "Action": ["events:DescribeRule", "events:ListTargetsByRule"],
            "Resource": managed_rules,
        },
        {
            "Sid": "EnableBucketEventBridgeNotifications",
            "Effect": "Allow",
            "Action": ["s3:GetBucketNotification", "s3:PutBucketNotification"],
            "Resource": bucket_arn,
        },
        {
            "Sid": "CheckBucketOwnership",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": bucket_arn,
        },
        {
            "Sid": "PutValidationObject",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/{SCAN_VALIDATION_OBJECT}",
        },
        {
            "Sid": "ScanAndTagQuarantinedObjects",
            "Effect": "Allow",
            "Action": list(SCANNER_OBJECT_ACTIONS),
            "Resource": quarantined,
        },
    ]
    if kms_key_arn is not None:
        statements.append(
            _key_via("ObjectsKeyViaS3", ("kms:Decrypt", "kms:GenerateDataKey"), kms_key_arn, "s3", region)
        )
    return document(*statements)


def processor_role_policy(
    *,
    ingest_bucket_arn: str,
    vault_bucket_arn: str,
    log_group_arn: str,
    catalogue_table_arn: str,
    failure_queue_arn: str,
    region: str,
    kms_key_arn: str | None = None,
    read_scan_tags: bool = False,
) -> PolicyDocument:
    """The ingest processor's permissions (DESIGN §4.2): read and delete quarantined objects, copy them
    into the vault (``PROCESSOR_VAULT_ACTIONS``, never a delete there), the session and catalogue items
    (``PROCESSOR_ITEM_ACTIONS``), its failure queue, its own log group, VPC ENIs, X-Ray, (KMS through each
    service only: ``Decrypt`` reads the ingest object and completes multipart copies, ``GenerateDataKey``
    encrypts the copy).

    ``s3:ListBucket`` on both buckets, only under their prefixes (an ``s3:prefix`` condition). A HeadObject
    or GetObject carries no ``s3:prefix``, so S3 still answers 403, not 404, for a missing key; the grant
    lets the processor list exactly that key (``ListObjectsV2`` with ``Prefix=<key>``) to tell an ingest
    object already deleted, or no document yet at the vault key, from a real refusal
    (``DocumentStore.head``, ``Processor._open_ingest``).

    ``read_scan_tags`` (malware scanning on, DESIGN §4.3) adds ``s3:GetObjectTagging`` on quarantined
    objects: the processor promotes an object only when its own ``GuardDutyMalwareScanStatus`` tag says
    ``NO_THREATS_FOUND``, whatever the event claims.
    """
    statements: list[Statement] = [
        {
            "Sid": "ReadAndDeleteIngestObjects",
            "Effect": "Allow",
            "Action": list(INGEST_PROCESSOR_ACTIONS),
            "Resource": f"{ingest_bucket_arn}/{INGEST_PREFIX}*",
        },
        *(
            [
                {
                    "Sid": "ReadScanTags",
                    "Effect": "Allow",
                    "Action": "s3:GetObjectTagging",
                    "Resource": f"{ingest_bucket_arn}/{INGEST_PREFIX}*",
                }
            ]
            if read_scan_tags
            else []
        ),
        _list_prefix("ListIngestObjects", ingest_bucket_arn, INGEST_PREFIX),
        {
            "Sid": "CopyIntoVault",
            "Effect": "Allow",
            "Action": list(PROCESSOR_VAULT_ACTIONS),
            "Resource": f"{vault_bucket_arn}/{DOCUMENTS_PREFIX}*",
        },
        _list_documents(vault_bucket_arn),
        {
            "Sid": "CatalogueItems",
            "Effect": "Allow",
            "Action": list(PROCESSOR_ITEM_ACTIONS),
            "Resource": catalogue_table_arn,
        },
        {
            # Lambda's asynchronous invocation sends the failed event with the function's role.
            "Sid": "SendFailedEvents",
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": failure_queue_arn,
        },
        *_function_basics(log_group_arn),
    ]
    if kms_key_arn is not None:
        statements += [
            _key_via("ObjectsKeyViaS3", ("kms:Decrypt", "kms:GenerateDataKey"), kms_key_arn, "s3", region),
            _key_via("CatalogueKeyViaDynamoDb", DYNAMODB_KEY_ACTIONS, kms_key_arn, "dynamodb", region),
            _key_via("FailureQueueKeyViaSqs", SQS_KEY_ACTIONS, kms_key_arn, "sqs", region),
        ]
    return document(*statements)


def _transport_denies(resources: list[str]) -> list[Statement]:
    """No plaintext (``aws:SecureTransport``) and no TLS below 1.2 (``s3:TlsVersion``, numeric), for
    every S3 action: these two hold for management calls too."""
    return [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyOutdatedTls",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"NumericLessThan": {"s3:TlsVersion": MINIMUM_TLS_VERSION}},
        },
    ]


def _signature_age_bound(max_signature_age_ms: int, cap_ms: int) -> int:
    """A short, positive bound in milliseconds (the unit of ``s3:signatureAge``), at most ``cap_ms``.

    AWS Prescriptive Guidance ("Establishing guardrails and monitoring for presigned URLs", appendix B)
    warns that bounds below about 2 minutes fail at random through clock skew and latency; the bound
    itself is the caller's choice within (0, cap]."""
    if isinstance(max_signature_age_ms, bool) or not isinstance(max_signature_age_ms, int):
        raise TypeError("the signature age bound is an int number of milliseconds")
    if not 0 < max_signature_age_ms <= cap_ms:
        raise ValueError(f"the signature age bound must be in 1..{cap_ms} ms, not {max_signature_age_ms}")
    return max_signature_age_ms


def _outside_endpoint_unless_presigned(
    *,
    noun: str,
    action: str,
    resources: list[str],
    vpc_endpoint_id: str,
    signer_arn: str,
    max_signature_age_ms: int,
    exempt_principal_arns: tuple[str, ...] = (),
) -> list[Statement]:
    """Deny ``action`` from outside our endpoint unless it is a presigned URL the signer made recently.

    "Not through the endpoint AND NOT (query-string AND SigV4 AND young AND signer)" is an OR of four
    conditions, and IAM ANDs everything inside one statement, so it takes four Deny statements, each
    "outside the endpoint AND one requirement broken". Missing keys fail closed: a missing
    ``s3:authType`` / ``s3:signatureversion`` / ``aws:PrincipalArn`` makes the negated operator true
    (IAM: a negated operator on an absent key is true), and the age test is
    ``NumericGreaterThanIfExists``, true when there is no ``s3:signatureAge`` (S3 documents the key for
    presigned URLs and presigned POST only; a header-signed request has none).

    The facts, from AWS's documentation:

    - ``s3:authType`` is ``REST-HEADER``, ``REST-QUERY-STRING`` (presigned URL) or ``POST``;
      ``s3:signatureversion`` is ``AWS`` (SigV2) or ``AWS4-HMAC-SHA256`` (SigV4); ``s3:signatureAge``
      is in milliseconds, always 0 for SigV2, and SigV4 signatures are otherwise good for up to 7 days
      (S3 API Reference, "Amazon S3 Signature Version 4 Authentication Specific Policy Keys",
      https://docs.aws.amazon.com/AmazonS3/latest/API/bucket-policy-s3-sigv4-conditions.html, whose
      example denies ``NumericGreaterThan`` 600000).
    - The age counts from the signature's date (``X-Amz-Date``) and can shorten a URL's validity, never
      lengthen it; bounds under about 2 minutes fail at random through clock skew; network conditions
      are evaluated where and when the request is made, so a URL signed inside the VPC and used from the
      internet carries no ``aws:SourceVpce`` (AWS Prescriptive Guidance, "Establishing guardrails and
      monitoring for presigned URLs", https://docs.aws.amazon.com/prescriptive-guidance/latest/presigned-url-best-practices/).
      The bound is thus the server-side cap whatever ``X-Amz-Expires`` a URL claims.
    - S3 checks a URL's expiry when the request arrives: a transfer begun in time completes (S3 User
      Guide, "Download and upload objects with presigned URLs").
    - ``aws:PrincipalArn`` of a role session is the role's ARN, not the session's (IAM User Guide,
      "AWS global condition context keys"), so it names the API role whichever Lambda instance signed.

    Temporary credentials: the API runs behind API Gateway in Lambda, whose execution-role credentials
    are a role session (``AWS_SESSION_TOKEN``, refreshed by Lambda). A URL signed with them stops
    working when that session expires, even if ``X-Amz-Expires`` is later (S3 User Guide, same page:
    "If you created a presigned URL using a temporary token, then the URL expires when the token
    expires"). So the presigner caps the expiry at ``min(900 s, credentials' expiry - now - 30 s)``
    (``document_processor.presign``) or clients get URLs that die early; this policy's age bound does not
    depend on it and holds even for a URL signed for 7 days.
    """
    outside: dict[str, str] = {"aws:SourceVpce": vpc_endpoint_id}
    exempt: dict[str, dict[str, Any]] = (
        {"ArnNotEquals": {"aws:PrincipalArn": list(exempt_principal_arns)}} if exempt_principal_arns else {}
    )

    def deny(sid: str, condition: dict[str, dict[str, Any]]) -> Statement:
        return {
            "Sid": f"Deny{noun}OutsideVpcEndpoint{sid}",
            "Effect": "Deny",
            "Principal": "*",
            "Action": action,
            "Resource": resources,
            "Condition": condition,
        }

    return [
        deny(
            "UnlessQueryStringSigned",
            {"StringNotEquals": {**outside, "s3:authType": QUERY_STRING_AUTH}, **exempt},
        ),
        deny("UnlessSigV4", {"StringNotEquals": {**outside, "s3:signatureversion": SIGV4}, **exempt}),
        deny(
            "WithOldSignatures",
            {
                "StringNotEquals": outside,
                "NumericGreaterThanIfExists": {"s3:signatureAge": str(max_signature_age_ms)},
                **exempt,
            },
        ),
        deny(
            "UnlessSignedByApiRole",
            {
                "StringNotEquals": outside,
                "ArnNotEquals": {"aws:PrincipalArn": [signer_arn, *exempt_principal_arns]},
            },
        ),
    ]


def documents_bucket_policy(
    *,
    bucket_arn: str,
    vpc_endpoint_id: str,
    lambda_role_arn: str,
    reconciler_role_arn: str | None = None,
    processor_role_arn: str | None = None,
    break_glass_principal_arns: tuple[str, ...] = (),
    allow_presigned_downloads: bool = False,
    max_download_signature_age_ms: int = MAX_PRESIGNED_DOWNLOAD_AGE_MS,
) -> PolicyDocument:
    """TLS 1.2+ only; data-plane access only from the Lambda role (and break-glass) via our endpoint.

    Break-glass principals are exempt from the endpoint condition: nothing else runs in the VPC, so
    an endpoint-only break-glass path could never be used.

    The reconciler's role passes the principal deny too, but a deny of its own takes every data-plane
    action except its reads (``RECONCILER_OBJECT_ACTIONS``) back: it may read documents, never write,
    delete or copy them, whatever its IAM policy says. The ingest processor's role likewise passes it
    with a deny of its own limiting it to ``PROCESSOR_VAULT_ACTIONS`` (HeadObject, the copy in, the abort
    of a failed multipart copy): it can never delete, overwrite a version of, or retag a document.

    ``allow_presigned_downloads`` (off by default, so the policy is byte-for-byte what it was until the
    303 download is wired) adds DESIGN §4.2's ONE exception: ``s3:GetObject`` leaves the endpoint-only
    deny and gets the presigned-URL denies of ``_outside_endpoint_unless_presigned`` instead, so from
    outside the endpoint only a query-string SigV4 URL signed by the API role, at most
    ``max_download_signature_age_ms`` old, reads a document (break-glass stays exempt as before). Every
    other statement, the principal deny included, is unchanged; every other action stays endpoint-only
    (a URL for an older version is ``s3:GetObjectVersion``: refused).
    """
    resources = [bucket_arn, f"{bucket_arn}/*"]
    outside_endpoint: dict[str, dict[str, Any]] = {"StringNotEquals": {"aws:SourceVpce": vpc_endpoint_id}}
    if break_glass_principal_arns:
        outside_endpoint["ArnNotEquals"] = {"aws:PrincipalArn": list(break_glass_principal_arns)}
    readers = [reconciler_role_arn] if reconciler_role_arn is not None else []
    copiers = [processor_role_arn] if processor_role_arn is not None else []
    reconciler_denies: list[Statement] = [
        {
            "Sid": "DenyReconcilerWrites",
            "Effect": "Deny",
            "Principal": "*",
            "Action": [a for a in DATA_PLANE_ACTIONS if a not in RECONCILER_OBJECT_ACTIONS],
            "Resource": resources,
            "Condition": {"ArnEquals": {"aws:PrincipalArn": arn}},
        }
        for arn in readers
    ]
    processor_denies: list[Statement] = [
        {
            "Sid": "DenyProcessorAllButCopiesIn",
            "Effect": "Deny",
            "Principal": "*",
            "Action": [a for a in DATA_PLANE_ACTIONS if a not in PROCESSOR_VAULT_ACTIONS],
            "Resource": resources,
            "Condition": {"ArnEquals": {"aws:PrincipalArn": arn}},
        }
        for arn in copiers
    ]
    endpoint_only = list(DATA_PLANE_ACTIONS)
    presigned_downloads: list[Statement] = []
    if allow_presigned_downloads:
        max_age = _signature_age_bound(max_download_signature_age_ms, MAX_PRESIGNED_DOWNLOAD_AGE_MS)
        endpoint_only = [a for a in DATA_PLANE_ACTIONS if a != "s3:GetObject"]
        presigned_downloads = _outside_endpoint_unless_presigned(
            noun="Downloads",
            action="s3:GetObject",
            resources=resources,
            vpc_endpoint_id=vpc_endpoint_id,
            signer_arn=lambda_role_arn,
            max_signature_age_ms=max_age,
            exempt_principal_arns=break_glass_principal_arns,
        )
    return document(
        *_transport_denies(resources),
        {
            "Sid": "DenyDataAccessOutsideVpcEndpoint",
            "Effect": "Deny",
            "Principal": "*",
            "Action": endpoint_only,
            "Resource": resources,
            "Condition": outside_endpoint,
        },
        *presigned_downloads,
        {
            "Sid": "DenyDataAccessToOtherPrincipals",
            "Effect": "Deny",
            "Principal": "*",
            "Action": list(DATA_PLANE_ACTIONS),
            "Resource": resources,
            "Condition": {
                "ArnNotEquals": {
                    "aws:PrincipalArn": [lambda_role_arn, *readers, *copiers, *break_glass_principal_arns]
                }
            },
        },
        *reconciler_denies,
        *processor_denies,
    )


def ingest_bucket_policy(
    *,
    bucket_arn: str,
    vpc_endpoint_id: str,
    api_role_arn: str,
    processor_role_arn: str,
    max_signature_age_ms: int,
    scanner_role_arn: str | None = None,
) -> PolicyDocument:
    """The quarantine bucket (DESIGN §4.2): the outside world may only put parts through URLs the API
    role presigned, under ``ingest/``; everything else only from our two roles through our endpoint.

    Deny-only, like the vault: the roles' IAM policies grant (same account, so that suffices), and no
    statement allows anything to ``*``. S3 authorises CreateMultipartUpload, UploadPart and
    CompleteMultipartUpload all as ``s3:PutObject`` (Service Authorization Reference, "Actions, resources,
    and condition keys for Amazon S3", API operations table), so the policy cannot tell a presigned part
    from a presigned single PUT or completion: that is the presigner's job (it signs only UploadPart, and a
    SigV4 query signature binds method, key, ``uploadId`` and ``partNumber``). Abort and ListParts
    (``s3:AbortMultipartUpload``, ``s3:ListMultipartUploadParts``) stay endpoint-only: the API calls them.

    Statements: TLS 1.2+ only; data-plane actions only for the API and processor roles; the processor
    only reads and deletes; ``s3:PutObject`` only under ``ingest/`` (``NotResource``), for everyone; every
    data action but ``s3:PutObject`` only through the endpoint; ``s3:PutObject`` from outside the endpoint
    only as a recent SigV4 query-string URL signed by the API role (see
    ``_outside_endpoint_unless_presigned`` for the condition keys and their semantics).
    ``max_signature_age_ms`` (``s3:signatureAge`` is in milliseconds) must be within the 15-minute URL cap.

    ``scanner_role_arn`` (malware scanning on, DESIGN §4.3) is GuardDuty's role. It works from GuardDuty's
    own service, never through our endpoint, so it is exempt from the endpoint conditions and confined
    by its own denies instead: ``SCANNER_OBJECT_ACTIONS`` and the validation object's ``PutObject`` only.
    Two denies make the gate: nobody else reads an object's bytes (``UNSCANNED_READ_ACTIONS``) unless its
    ``GuardDutyMalwareScanStatus`` tag is ``NO_THREATS_FOUND`` (``s3:ExistingObjectTag``; an untagged
    object has no such key, so the negated operator is true and the read denied), and nobody else
    changes tags (``TAG_CHANGE_ACTIONS``), so no caller can mark an object clean. The processor may
    then also read the tag (``s3:GetObjectTagging``). Tags cannot come in with the upload either: the
    API role sets none on CreateMultipartUpload or PutObject, and a part URL is UploadPart only.
    """
    max_age = _signature_age_bound(max_signature_age_ms, MAX_PRESIGNED_UPLOAD_AGE_MS)
    resources = [bucket_arn, f"{bucket_arn}/*"]
    scanner = [scanner_role_arn] if scanner_role_arn is not None else []
    not_scanner: dict[str, dict[str, Any]] = (
        {"ArnNotEquals": {"aws:PrincipalArn": scanner_role_arn}} if scanner_role_arn is not None else {}
    )
    processor_actions = (*INGEST_PROCESSOR_ACTIONS, *(["s3:GetObjectTagging"] if scanner else []))
    scanner_statements: list[Statement] = []
    if scanner_role_arn is not None:
        only_scanner: dict[str, dict[str, Any]] = {"ArnEquals": {"aws:PrincipalArn": scanner_role_arn}}
        scanner_statements = [
            {
                "Sid": "DenyScannerAllButScanning",
                "Effect": "Deny",
                "Principal": "*",
                "Action": [
                    a for a in DATA_PLANE_ACTIONS if a not in SCANNER_OBJECT_ACTIONS and a != "s3:PutObject"
                ],
                "Resource": resources,
                "Condition": only_scanner,
            },
            {
                "Sid": "DenyScannerUploads",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "NotResource": f"{bucket_arn}/{SCAN_VALIDATION_OBJECT}",
                "Condition": only_scanner,
            },
            {
                "Sid": "DenyReadsUntilScannedClean",
                "Effect": "Deny",
                "Principal": "*",
                "Action": list(UNSCANNED_READ_ACTIONS),
                "Resource": f"{bucket_arn}/*",
                "Condition": {
                    "StringNotEquals": {f"s3:ExistingObjectTag/{SCAN_STATUS_TAG}": SCAN_CLEAN},
                    **not_scanner,
                },
            },
            {
                "Sid": "DenyScanTagChanges",
                "Effect": "Deny",
                "Principal": "*",
                "Action": list(TAG_CHANGE_ACTIONS),
                "Resource": f"{bucket_arn}/*",
                "Condition": not_scanner,
            },
        ]
    return document(
        *_transport_denies(resources),
        {
            "Sid": "DenyDataAccessToOtherPrincipals",
            "Effect": "Deny",
            "Principal": "*",
            "Action": list(DATA_PLANE_ACTIONS),
            "Resource": resources,
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": [api_role_arn, processor_role_arn, *scanner]}},
        },
        {
            "Sid": "DenyProcessorWrites",
            "Effect": "Deny",
            "Principal": "*",
            "Action": [a for a in DATA_PLANE_ACTIONS if a not in processor_actions],
            "Resource": resources,
            "Condition": {"ArnEquals": {"aws:PrincipalArn": processor_role_arn}},
        },
        {
            "Sid": "DenyUploadsOutsideIngestPrefix",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "NotResource": f"{bucket_arn}/{INGEST_PREFIX}*",
            **({"Condition": not_scanner} if not_scanner else {}),
        },
        {
            "Sid": "DenyDataAccessOutsideVpcEndpoint",
            "Effect": "Deny",
            "Principal": "*",
            "Action": [a for a in DATA_PLANE_ACTIONS if a != "s3:PutObject"],
            "Resource": resources,
            "Condition": {"StringNotEquals": {"aws:SourceVpce": vpc_endpoint_id}, **not_scanner},
        },
        *_outside_endpoint_unless_presigned(
            noun="Uploads",
            action="s3:PutObject",
            resources=resources,
            vpc_endpoint_id=vpc_endpoint_id,
            signer_arn=api_role_arn,
            max_signature_age_ms=max_age,
            exempt_principal_arns=tuple(scanner),
        ),
        *scanner_statements,
    )


def access_logs_bucket_policy(
    *,
    bucket_arn: str,
    log_prefix: str,
    source_bucket_arn: str,
    account_id: str,
    ingest_log_prefix: str | None = None,
    ingest_bucket_arn: str | None = None,
) -> PolicyDocument:
    """Only S3's log delivery, for our documents bucket (and the ingest bucket, each under its own
    prefix) in our account, may write; TLS only.

    One statement per source bucket, so neither can write into the other's prefix."""
    if (ingest_log_prefix is None) != (ingest_bucket_arn is None):
        raise ValueError(
            "access_logs_bucket_policy: give both ingest_log_prefix and ingest_bucket_arn, or neither"
        )

    def delivery(sid: str, prefix: str, source: str) -> Statement:
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/{prefix}*",
            "Condition": {
                "ArnLike": {"aws:SourceArn": source},
                "StringEquals": {"aws:SourceAccount": account_id},
            },
        }

    ingest = (
        [delivery("AllowIngestAccessLogDelivery", ingest_log_prefix, ingest_bucket_arn)]
        if ingest_log_prefix is not None and ingest_bucket_arn is not None
        else []
    )
    return document(
        delivery("AllowS3ServerAccessLogDelivery", log_prefix, source_bucket_arn),
        *ingest,
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    )


ENDPOINT_MULTIPART_ACTIONS: Final = ("s3:AbortMultipartUpload", "s3:ListMultipartUploadParts")
"""Besides get/put/delete and list: the API aborts uploads and lists their parts, the processor aborts
a failed multipart copy into the vault."""


def s3_endpoint_policy(*, bucket_arns: tuple[str, ...], account_id: str) -> PolicyDocument:
    """The gateway endpoint reaches only our buckets (the vault, the access logs and the ingest bucket),
    for our account's principals: no exfiltration path to another bucket even if a function were
    compromised."""
    resources = [arn for bucket in bucket_arns for arn in (bucket, f"{bucket}/*")]
    return document(
        {
            "Sid": "OnlyOurBuckets",
            "Effect": "Allow",
            "Principal": "*",
            "Action": sorted({*LAMBDA_OBJECT_ACTIONS, *ENDPOINT_MULTIPART_ACTIONS, "s3:ListBucket"}),
            "Resource": resources,
            "Condition": {"StringEquals": {"aws:PrincipalAccount": account_id}},
        }
    )


def dynamodb_endpoint_policy(*, catalogue_table_arn: str, account_id: str) -> PolicyDocument:
    """The DynamoDB gateway endpoint reaches only the catalogue table and its index, only with the item
    calls our functions make, only for our account's principals: no path to another table."""
    return document(
        {
            "Sid": "OnlyTheCatalogue",
            "Effect": "Allow",
            "Principal": "*",
            "Action": sorted(
                {
                    *CATALOGUE_ITEM_ACTIONS,
                    *CATALOGUE_QUERY_ACTIONS,
                    *RECONCILER_ITEM_ACTIONS,
                    *PROCESSOR_ITEM_ACTIONS,
                }
            ),
            "Resource": [catalogue_table_arn, catalogue_index_arn(catalogue_table_arn)],
            "Condition": {"StringEquals": {"aws:PrincipalAccount": account_id}},
        }
    )


def flow_log_delivery_policy(*, log_group_arn: str) -> PolicyDocument:
    """VPC flow logs write to their one log group."""
    return document(
        {
            "Sid": "WriteFlowLogs",
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogStream",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
            ],
            "Resource": [log_group_arn, f"{log_group_arn}:*"],
        }
    )


def auditor_trust_policy(
    *, partition: str, account_id: str, principal_arns: tuple[str, ...]
) -> PolicyDocument:
    """Configured principals, or by default anyone in this account who signed in with MFA."""
    if principal_arns:
        return document(
            {"Effect": "Allow", "Principal": {"AWS": list(principal_arns)}, "Action": "sts:AssumeRole"}
        )
    return document(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        }
    )


def auditor_policy(*, log_group_arn: str) -> PolicyDocument:
    """Read the Lambda's log events, nothing else (FilterLogEvents is authorised on the group,
    GetLogEvents on its streams)."""
    return document(
        {
            "Sid": "ReadLambdaLogEvents",
            "Effect": "Allow",
            "Action": list(AUDITOR_ACTIONS),
            "Resource": [log_group_arn, f"{log_group_arn}:log-stream:*"],
        }
    )


def kms_key_policy(
    *, partition: str, account_id: str, region: str, eventbridge_publishes: bool = False
) -> PolicyDocument:
    """The customer-managed key (KMS mode).

    The account statement is KMS's default: it delegates the key's use to IAM policies (so the
    Lambda role's ``kms:ViaService``-scoped grant works) and keeps the key manageable. CloudWatch
    Logs may use it only for this account's log groups; CloudWatch alarms only to publish to SNS.
    ``eventbridge_publishes`` (malware scanning on): EventBridge may too, for this account's rules, to
    publish the ``THREATS_FOUND`` notification to the encrypted alarm topic.
    """
    account_log_groups = f"arn:{partition}:logs:{region}:{account_id}:log-group:*"
    eventbridge: list[Statement] = []
    if eventbridge_publishes:
        eventbridge.append(
            {
                "Sid": "EventBridgeRulesPublishEncrypted",
                "Effect": "Allow",
                "Principal": {"Service": EVENTS_PRINCIPAL},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        )
    return document(
        {
            "Sid": "AccountAdministersViaIam",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "CloudWatchLogsEncryption",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{region}.amazonaws.com"},
            "Action": [
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKey*",
                "kms:ReEncrypt*",
            ],
            "Resource": "*",
            "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": account_log_groups}},
        },
        {
            "Sid": "CloudWatchAlarmsPublishEncrypted",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        },
        *eventbridge,
    )


def alarm_topic_policy(
    *, topic_arn: str, account_id: str, event_rule_arns: tuple[str, ...] = ()
) -> PolicyDocument:
    """CloudWatch alarms of this account may publish; so may the EventBridge rules ``event_rule_arns``
    (the malware gate's ``THREATS_FOUND`` notification), and only they (``aws:SourceArn``); nothing may
    publish without TLS."""
    rules: list[Statement] = []
    if event_rule_arns:
        rules.append(
            {
                "Sid": "EventBridgeRulesPublish",
                "Effect": "Allow",
                "Principal": {"Service": EVENTS_PRINCIPAL},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": list(event_rule_arns)}},
            }
        )
    return document(
        {
            "Sid": "CloudWatchAlarmsPublish",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        },
        *rules,
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    )
