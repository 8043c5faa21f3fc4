"""The embedded S3 emulator: moto's threaded server on loopback, with the bucket set up like AWS.

The bucket gets what the deployed one has and moto implements: SSE-S3 default encryption, versioning,
all four public-access-block flags and ``BucketOwnerEnforced``. It does not get the bucket policy
(TLS-only, VPC endpoint, Lambda-role-only): moto stores bucket policies but does not evaluate their
conditions, so the policy would only suggest a protection that is not there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import boto3
from moto.server import ThreadedMotoServer

from local_mode.errors import LocalModeError

if TYPE_CHECKING:
    from types import TracebackType

    from mypy_boto3_s3 import S3Client

LOOPBACK = "127.0.0.1"
DEFAULT_BUCKET_NAME = "local-documents"
"""Name of the local documents bucket."""
DEFAULT_REGION = "us-east-1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local-mode",
    "AWS_SECRET_ACCESS_KEY": "local-mode",
}
"""Credentials the emulator accepts; set so boto3 never searches for (or sends) real ones."""


def create_documents_bucket(client: S3Client, bucket: str) -> None:
    """Create ``bucket`` with the deployed bucket's encryption, versioning and public-access settings."""
    client.create_bucket(Bucket=bucket, ObjectOwnership="BucketOwnerEnforced")
    client.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    client.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )


@dataclass
class S3Emulator:
    """moto's S3 server on a free loopback port, holding one documents bucket; a context manager."""

    bucket: str = DEFAULT_BUCKET_NAME
    """Bucket to create."""
    region: str = DEFAULT_REGION
    """Region the client signs for."""
    _server: ThreadedMotoServer | None = field(default=None, init=False, repr=False)
    _endpoint_url: str | None = field(default=None, init=False, repr=False)

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:<port>`` of the running emulator."""
        if self._endpoint_url is None:
            raise LocalModeError("the S3 emulator is not running; call start() first")
        return self._endpoint_url

    def client(self) -> S3Client:
        """An S3 client for the emulator, with the fake credentials."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def start(self) -> str:
        """Start the server on a free port, create the bucket, return the endpoint URL."""
        server = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
        server.start()
        self._server = server
        host, port = server.get_host_and_port()
        self._endpoint_url = f"http://{host}:{port}"
        try:
            create_documents_bucket(self.client(), self.bucket)
        except Exception:
            self.stop()
            raise
        return self._endpoint_url

    def stop(self) -> None:
        """Stop the server (idempotent); the documents it held are gone."""
        if self._server is not None:
            self._server.stop()
            self._server = None
            self._endpoint_url = None

    def __enter__(self) -> S3Emulator:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
