"""Listing: one 100-item page with full metadata from the catalogue versus today's S3 listing of ids only.

Run: ``python -m benchmarks.listing`` (options ``--documents``, ``--page``), or ``python -m benchmarks``.
One moto server (in this process, on loopback) holds an owner with ``documents`` documents (default
10,000; a quarter each PDF, PNG, JPEG and text, with filenames, checksums and facts) both as S3 objects
under ``documents/<owner-key>/`` and as catalogue items. Both sides use the service's own clients
(``create_s3_client``, ``create_dynamodb_client``) and build the page body a response would carry:

- **catalogue** (what ``GET /documents`` does now): ``Catalogue.query_documents`` (one ``Query``,
  newest first, ``Limit`` page + 1), every item ``Document.to_json()`` (id, filename, contentType, size,
  sha256, createdAt, facts), the bound cursor, ``json.dumps``;
- **S3 ids only** (what it did before issue 13): one ``ListObjectsV2`` (``MaxKeys`` page, ``StartAfter``)
  and, per key, id, size and createdAt, the old 16-byte cursor, ``json.dumps``.

Both read the page that starts in the middle of the listing (a cursor's page, not the first), timed
interleaved, best of ``repeat`` x ``number``. Goal: catalogue throughput at least 1.0x the S3 listing's.

moto is not AWS: its S3 listing and its DynamoDB ``Query`` both walk every key of the owner in Python
on each call, where the real services read one page from an index. So the same pages are also timed
**replayed**: each service's HTTP answer, recorded once from moto, is handed back by a ``before-send``
hook, so botocore still signs the request and parses the answer (XML for S3, JSON for DynamoDB) and the
service still builds its page, but no emulator runs. That ratio is the cost the service's own code and
SDK add per page, which is what the emulator's walk hides; both are printed.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from benchmarks._timing import Result, best_of_interleaved

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from botocore.client import BaseClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

    from document_processor.documents import Document

GOAL = 1.0
DEFAULT_DOCUMENTS = 10_000
DEFAULT_PAGE = 100
DEFAULT_REPEAT = 5
DEFAULT_NUMBER = 2
BUCKET = "benchmark-listing"
TABLE = "benchmark-catalogue"
OWNER = "arn:aws:iam::111122223333:user/benchmark"
BATCH = 25
"""Items per ``BatchWriteItem`` (DynamoDB's maximum)."""
_FAKE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "benchmark",
    "AWS_SECRET_ACCESS_KEY": "benchmark",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@contextmanager
def _moto(extra: dict[str, str]) -> Iterator[str]:
    """A moto server on loopback for the block, with the AWS endpoint variables pointing at it."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    names = {
        **_FAKE_ENVIRONMENT,
        **extra,
        "AWS_ENDPOINT_URL_S3": endpoint,
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
    }
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(names)
    try:
        yield endpoint
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.stop()


def _documents(count: int) -> list[Document]:
    """``count`` documents with ids in creation order, a quarter of each type, all with filenames."""
    from document_processor.documents import Document

    kinds: tuple[tuple[str, str, dict[str, int]], ...] = (
        ("application/pdf", "pdf", {"pageCount": 12}),
        ("image/png", "png", {"width": 1024, "height": 768}),
        ("image/jpeg", "jpg", {"width": 4032, "height": 3024}),
        ("text/plain", "txt", {}),
    )
    documents = []
    start_ms = 1_764_000_000_000
    for n in range(count):
        content_type, extension, facts = kinds[n % len(kinds)]
        document_id = f"{start_ms + n:012x}{hashlib.sha256(b'%d' % n).hexdigest()[:20]}"
        documents.append(
            Document(
                id=document_id,
                content_type=content_type,
                size=1000 + n,
                sha256=hashlib.sha256(b"document %d" % n).hexdigest(),
                filename=f"Quarterly report {n:05d}.{extension}",
                facts=dict(facts),
            )
        )
    return documents


def _fill(s3: S3Client, dynamodb: DynamoDBClient, owner_key: str, documents: list[Document]) -> str:
    """Create the bucket, the table and one owner's objects and items; the owner's key prefix."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    from document_processor.catalogue import document_item
    from document_processor.catalogue_schema import create_table_arguments
    from document_processor.documents import KEY_PREFIX

    prefix = f"{KEY_PREFIX}{owner_key}/"
    s3.create_bucket(Bucket=BUCKET)
    # Objects go straight into moto's S3 backend: 10,000 PutObject calls over HTTP take over a minute
    # here, and only the listing is measured. The catalogue is filled through its API.
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    for document in documents:
        backend.put_object(BUCKET, f"{prefix}{document.id}", b"x" * 16)
    dynamodb.create_table(**create_table_arguments(TABLE))
    for start in range(0, len(documents), BATCH):
        batch = documents[start : start + BATCH]
        requests: Any = [{"PutRequest": {"Item": document_item(owner_key, d, owner=OWNER)}} for d in batch]
        dynamodb.batch_write_item(RequestItems={TABLE: requests})
    return prefix


class _Replay:
    """Records one operation's HTTP answer, then hands it back instead of sending (``before-send``)."""

    def __init__(self, client: BaseClient, event: str) -> None:
        self._client = client
        self._event = event
        self._recorded: dict[str, Any] | None = None

    @property
    def size(self) -> int:
        """Bytes of the recorded answer's body."""
        return len(self._recorded["body"]) if self._recorded else 0

    def record(self, call: Callable[[], object]) -> None:
        def keep(**kwargs: Any) -> None:
            if kwargs.get("response_dict") is not None:
                self._recorded = kwargs["response_dict"]

        self._client.meta.events.register(f"response-received.{self._event}", keep)
        try:
            call()
        finally:
            self._client.meta.events.unregister(f"response-received.{self._event}", keep)
        if self._recorded is None:
            raise RuntimeError(f"no answer recorded for {self._event}")

    @contextmanager
    def replaying(self) -> Iterator[None]:
        from botocore.awsrequest import AWSResponse

        recorded: dict[str, Any] = self._recorded or {}

        class _Raw:
            def stream(self) -> Iterator[bytes]:
                yield recorded["body"]

        def answer(request: Any, **_: Any) -> Any:  # Any: the stubs type handlers as returning None
            return AWSResponse(request.url, recorded["status_code"], recorded["headers"], _Raw())

        self._client.meta.events.register(f"before-send.{self._event}", answer)
        try:
            yield
        finally:
            self._client.meta.events.unregister(f"before-send.{self._event}", answer)


def run(
    *,
    documents: int = DEFAULT_DOCUMENTS,
    page: int = DEFAULT_PAGE,
    repeat: int = DEFAULT_REPEAT,
    number: int = DEFAULT_NUMBER,
) -> Result:
    """Fill one moto with the owner's documents, then time both pages, against moto and replayed."""
    from document_processor.catalogue import Catalogue, create_dynamodb_client
    from document_processor.identity import normalise_principal
    from document_processor.ids import created_at
    from document_processor.storage import create_s3_client
    from document_processor.validation import ORDER_NEWEST, cursor_binding, encode_cursor

    with _moto({}):
        s3, dynamodb = create_s3_client(), create_dynamodb_client()
        owner_key = normalise_principal(OWNER).owner_key
        all_documents = _documents(documents)
        prefix = _fill(s3, dynamodb, owner_key, all_documents)
        catalogue = Catalogue(dynamodb, TABLE)
        middle = all_documents[documents // 2].id
        binding = cursor_binding(owner_key, ORDER_NEWEST, None, None)

        def catalogue_page() -> bytes:
            found, after = catalogue.query_documents(
                owner_key, limit=page, newest_first=True, content_type=None, name_prefix=None, after_id=middle
            )
            cursor = encode_cursor(after, binding) if after else None
            return json.dumps({"items": [d.to_json() for d in found], "nextCursor": cursor}).encode()

        def s3_page() -> bytes:
            listed = s3.list_objects_v2(
                Bucket=BUCKET, Prefix=prefix, MaxKeys=page, StartAfter=prefix + middle
            )
            items: list[dict[str, Any]] = []
            for entry in listed.get("Contents", []):
                document_id = entry["Key"][len(prefix) :]
                items.append({"id": document_id, "size": entry["Size"], "createdAt": created_at(document_id)})
            last: str | None = items[-1]["id"] if items and listed.get("IsTruncated") else None
            cursor = base64.urlsafe_b64encode(bytes.fromhex(last)).decode().rstrip("=") if last else None
            return json.dumps({"items": items, "nextCursor": cursor}).encode()

        catalogue_body, s3_body = json.loads(catalogue_page()), json.loads(s3_page())
        if len(catalogue_body["items"]) != page or len(s3_body["items"]) != page:
            raise RuntimeError("a listing page came back short: the benchmark would compare nothing")
        full = set(catalogue_body["items"][0])
        against_moto = best_of_interleaved(catalogue_page, s3_page, repeat=repeat, number=number)

        query, listing = _Replay(dynamodb, "dynamodb.Query"), _Replay(s3, "s3.ListObjectsV2")
        query.record(catalogue_page)
        listing.record(s3_page)
        with query.replaying(), listing.replaying():
            replayed = best_of_interleaved(catalogue_page, s3_page, repeat=repeat * 3, number=number * 10)
        catalogue_bytes, s3_bytes = query.size, listing.size

    ratio = against_moto[1] / against_moto[0]
    replay_ratio = replayed[1] / replayed[0]
    return Result(
        name=f"listing ({page}-item page, full metadata, {documents:,} documents) vs S3 listing of ids",
        ratio=ratio,
        goal=f">= {GOAL}x the S3 listing's pages/s, against the same moto",
        met=ratio >= GOAL,
        details=[
            f"against moto: catalogue {against_moto[0] * 1000:.1f} ms/page, S3 ids only "
            f"{against_moto[1] * 1000:.1f} ms/page (best of {repeat} x {number}, interleaved)",
            f"replayed answers (botocore + the service, no emulator): catalogue {replayed[0] * 1000:.2f} ms, "
            f"S3 {replayed[1] * 1000:.2f} ms: ratio {replay_ratio:.3f}",
            f"so moto itself takes about {(against_moto[0] - replayed[0]) * 1000:.0f} ms per Query and "
            f"{(against_moto[1] - replayed[1]) * 1000:.0f} ms per ListObjectsV2 (it walks all "
            f"{documents:,} keys on every call; the services read one page)",
            f"answer sizes: Query {catalogue_bytes / 1024:.1f} KiB JSON, "
            f"ListObjectsV2 {s3_bytes / 1024:.1f} KiB XML; item fields: {', '.join(sorted(full))} "
            f"vs {', '.join(sorted(s3_body['items'][0]))}",
        ],
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.listing``: print the result."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--documents", type=int, default=DEFAULT_DOCUMENTS)
    parser.add_argument("--page", type=int, default=DEFAULT_PAGE)
    arguments = parser.parse_args(argv)
    print(run(documents=arguments.documents, page=arguments.page).report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
