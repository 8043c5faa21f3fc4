"""Where the end-to-end suite runs: local mode started for the session, or a deployed stack.

Configuration (environment variables):

- ``E2E_STACK_OUTPUTS``: path to ``pulumi stack output --json`` of a deployed stack. When set, the
  suite runs against that stack: requests are SigV4-signed (service ``execute-api``) with the
  standard AWS credential chain, and the deployed-only checks run. When unset, the suite starts
  local mode (``python -m local_mode``) on a free loopback port and runs against it.
- ``E2E_SECOND_AWS_PROFILE``: deployed mode only: an AWS profile for a second principal, used by the
  caller-isolation tests (skipped without it).

Requests are SigV4-signed in both modes: locally with keys from a principals file the suite writes
(``tests/e2e/signing.py``), which local mode verifies as API Gateway would.
"""

from __future__ import annotations

import json
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import boto3
import httpx

from benchmarks.local_process import local_mode_process
from document_processor.settings import DEFAULT_MAX_DOCUMENT_BYTES
from local_mode.emulator import DEFAULT_INGEST_BUCKET, DEFAULT_REGION, FAKE_CREDENTIALS
from local_mode.signing import BotocoreSigV4, credentials_of
from tests.e2e.signing import PrincipalPool

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from botocore.credentials import Credentials
    from mypy_boto3_s3 import S3Client

    from local_mode.principals import Principal

STACK_OUTPUTS_VARIABLE = "E2E_STACK_OUTPUTS"
SECOND_PROFILE_VARIABLE = "E2E_SECOND_AWS_PROFILE"
REQUIRED_OUTPUTS = ("apiUrl", "documentsBucketName", "lambdaLogGroupName")
DEFAULT_TIMEOUT_SECONDS = 30.0
_EXECUTE_API_HOST = re.compile(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$")


class E2EConfigurationError(Exception):
    """The deployed-stack configuration is unusable; the message says what to fix."""


@dataclass(frozen=True)
class Target:
    """The API under test and what the suite needs to know about it."""

    api_url: str
    """Base URL, without a trailing slash (the stage URL when deployed)."""
    bucket: str
    """Documents bucket name."""
    deployed: bool
    """True for a real stack (SigV4, real S3 and CloudWatch Logs)."""
    region: str
    """AWS region of the stack."""
    s3_endpoint_url: str | None = None
    """The emulator's endpoint locally; ``None`` (the real S3) when deployed."""
    log_group: str | None = None
    """The Lambda's log group (deployed only)."""
    log_path: Path | None = None
    """Local mode's captured stdout, where the handler's log lines go (local only)."""
    max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES
    """The service's configured size limit (a stack output ``maxDocumentBytes`` overrides the default)."""
    sse_algorithm: str = "AES256"
    """The bucket's default encryption as S3 reports it: ``AES256`` (SSE-S3) or ``aws:kms`` (KMS mode)."""
    principals: PrincipalPool | None = None
    """Local only: the principals local mode accepts, handed out one per client."""
    ingest_bucket: str | None = None
    """The large uploads' ingest bucket (the stack output ``ingestBucketName`` when deployed)."""
    catalogue_table: str | None = None
    """Local only: the emulator's catalogue table (tests that rewrite an item need it)."""


def region_of(api_url: str) -> str | None:
    """The region in an ``execute-api`` URL's host name, if it is one."""
    match = _EXECUTE_API_HOST.search(urlsplit(api_url).hostname or "")
    return match.group(1) if match else None


def load_stack_outputs(path: Path) -> Target:
    """A deployed ``Target`` from ``pulumi stack output --json``; every problem reported at once."""
    try:
        outputs = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise E2EConfigurationError(
            f"{STACK_OUTPUTS_VARIABLE}={str(path)!r} is not a readable JSON file ({error}); create it with "
            "`pulumi stack output --json > outputs.json`"
        ) from error
    if not isinstance(outputs, dict):
        raise E2EConfigurationError(f"{path} must hold a JSON object of stack outputs")
    problems = [f"missing output {name!r}" for name in REQUIRED_OUTPUTS if not outputs.get(name)]
    api_url = str(outputs.get("apiUrl", ""))
    if api_url and urlsplit(api_url).scheme != "https":
        problems.append(f"apiUrl must be an https URL, got {api_url!r}")
    region = outputs.get("region") or region_of(api_url) or os.environ.get("AWS_REGION")
    if not region:
        problems.append("no region: add a 'region' output or set AWS_REGION")
    if problems:
        raise E2EConfigurationError(f"{path}: " + "; ".join(problems))
    return Target(
        api_url=api_url.rstrip("/"),
        bucket=str(outputs["documentsBucketName"]),
        deployed=True,
        region=str(region),
        log_group=str(outputs["lambdaLogGroupName"]),
        max_document_bytes=int(outputs.get("maxDocumentBytes", DEFAULT_MAX_DOCUMENT_BYTES)),
        sse_algorithm="aws:kms" if outputs.get("encryptionMode") == "KMS" else "AES256",
        ingest_bucket=str(outputs["ingestBucketName"]) if outputs.get("ingestBucketName") else None,
    )


@contextmanager
def local_mode(*, malware_scan: bool = False) -> Iterator[Target]:
    """Local mode in a child process on a free port for the duration of the block; always stopped.
    ``malware_scan``: with ``LOCAL_MALWARE_SCAN=1`` (else ``0``, whatever the shell says)."""
    pool = PrincipalPool()
    with local_mode_process(pool.all(), malware_scan=malware_scan) as running:
        yield Target(
            api_url=running.api_url,
            bucket=running.bucket,
            deployed=False,
            region=DEFAULT_REGION,
            s3_endpoint_url=running.s3_endpoint_url,
            log_path=running.stdout,
            principals=pool,
            ingest_bucket=DEFAULT_INGEST_BUCKET,
            catalogue_table=running.catalogue_table,
        )


def aws_credentials(profile: str | None = None) -> Credentials:
    """Credentials from the standard chain (or a named profile); a clear error when there are none."""
    credentials = boto3.Session(profile_name=profile).get_credentials()
    if credentials is None:
        source = f"profile {profile!r}" if profile else "the standard AWS credential chain"
        raise E2EConfigurationError(f"no AWS credentials found in {source}")
    return credentials


def s3_client(target: Target) -> S3Client:
    """S3 as the suite inspects it: the real service when deployed, local mode's emulator otherwise."""
    if target.deployed:
        return boto3.client("s3", region_name=target.region)
    return boto3.client(
        "s3",
        endpoint_url=target.s3_endpoint_url,
        region_name=target.region,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


@dataclass
class ApiClient:
    """One caller of the API, remembering the documents it created so they can be cleaned up."""

    http: httpx.Client
    name: str
    created: list[str]

    def upload(self, data: bytes, content_type: str | None, **headers: str) -> httpx.Response:
        """``POST /documents``; remembers the id of a created document."""
        all_headers = dict(headers)
        if content_type is not None:
            all_headers["Content-Type"] = content_type
        response = self.http.post("/documents", content=data, headers=all_headers)
        if response.status_code == httpx.codes.CREATED:
            self.created.append(response.json()["id"])
        return response

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Any request, relative to the API's base URL."""
        return self.http.request(method, path, **kwargs)

    def delete_created(self) -> None:
        """Delete what this caller created (deployed stacks are shared: leave nothing behind)."""
        for document_id in self.created:
            self.http.delete(f"/documents/{document_id}")
        self.created.clear()


def local_principal(target: Target) -> Principal:
    """A local principal no client has signed as yet, so its document list starts empty."""
    if target.principals is None:
        raise E2EConfigurationError("local principals exist only for a local-mode target")
    return target.principals.user()


def signed_client(target: Target, principal: Principal, **kwargs: Any) -> httpx.Client:
    """An httpx client for ``target`` that signs every request as the local ``principal``."""
    return httpx.Client(
        base_url=target.api_url,
        auth=BotocoreSigV4(credentials_of(principal), target.region),
        timeout=DEFAULT_TIMEOUT_SECONDS,
        **kwargs,
    )


def make_client(target: Target, name: str, *, profile: str | None = None) -> ApiClient:
    """An ``ApiClient`` for ``target``, SigV4-signed in both modes: the credential chain (or
    ``profile``) when deployed, a fresh local principal locally."""
    if target.deployed:
        http = httpx.Client(
            base_url=target.api_url,
            auth=BotocoreSigV4(aws_credentials(profile), target.region),
            timeout=DEFAULT_TIMEOUT_SECONDS,
        )
    else:
        http = signed_client(target, local_principal(target))
    return ApiClient(http=http, name=name, created=[])
