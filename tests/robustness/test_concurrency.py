"""Concurrency through local mode: 8 workers x 50 uploads of mixed types and sizes, then every document
verified by id and checksum (nothing lost, duplicated or corrupted) and listed once with the metadata
its upload answered; deletes racing reads of the same ids (only well-formed 200/204/404 answers, never a
partial body); uploads with and without an Idempotency-Key mixed, several threads sending each key (one
document per key, every answer with its id); and deletes racing listings (every page well formed, only
documents of the caller with their upload's metadata, and the listing converging on what S3 holds, with
local mode's reconciler pump running on the bucket's events meanwhile). Each test uploads its own
documents as its own caller, so none depends on another having run (or not) first.

Bounded so CI stays fast (about 60 s here: local mode now also runs moto's DynamoDB, whose query
pages are slow, and the reconciler pump on every upload's and delete's event, in the same process);
throughput and latency are measured by ``python -m benchmarks.load`` (the same workload), never
asserted here.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any

import pytest

from benchmarks.load import ClientPool, Timed, mixed_documents, run_all, timed, upload_all
from tests.e2e.targets import local_mode, local_principal, s3_client
from tests.robustness.bucket import bucket_versions
from tests.robustness.checks import assert_error_body

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tests.e2e.targets import Target

WORKERS = 8
UPLOADS_PER_WORKER = 50
RACED_DOCUMENTS = 24
DELETES_PER_DOCUMENT = 2
READS_PER_DOCUMENT = 3
SEED = 6
IDEMPOTENCY_KEYS = 8
THREADS_PER_KEY = 4
UPLOADS_WITHOUT_KEY = 16
LISTED_DOCUMENTS = 30
LISTINGS = 24
CONVERGENCE_SECONDS = 15.0
"""How long the listing may take to agree with S3 once the requests are answered (the event pump's
reconciles of the deletes may still be running; each is milliseconds)."""
REPLAYED = "Idempotent-Replayed"
PAGE_ATTEMPTS = 4


@pytest.fixture(scope="module")
def server() -> Iterator[Target]:
    """Local mode in its own process (its own emulator), for this module."""
    with local_mode() as running:
        yield running


@pytest.fixture(scope="module")
def loaded(server: Target) -> Iterator[tuple[ClientPool, list[Any], list[str]]]:
    """400 documents uploaded concurrently by one caller: (pool, samples, ids in sample order)."""
    samples = mixed_documents(WORKERS * UPLOADS_PER_WORKER, seed=SEED)
    pool = ClientPool(server.api_url, local_principal(server), region=server.region)
    results, _ = upload_all(pool, samples, workers=WORKERS)
    assert Counter(result.status for result in results) == {201: len(samples)}
    ids = [str((result.json or {})["id"]) for result in results]
    yield pool, samples, ids
    pool.close()


def _all_listed(pool: ClientPool) -> list[str]:
    return [str(item["id"]) for item in _listing(pool)]


def _page(pool: ClientPool, params: dict[str, str]) -> Timed:
    """One listing page; a 503 (moto, sharing local mode's process with the handler and the event pump,
    can miss the catalogue client's 1 s read timeout under this load) is retried as a client would."""
    for _ in range(PAGE_ATTEMPTS - 1):
        page = timed(pool, "GET", "/documents", params=params)
        if page.status != 503:
            break
        assert_error_body(page.body.decode(), "storage_unavailable")
        time.sleep(0.5)
    else:
        page = timed(pool, "GET", "/documents", params=params)
    assert page.status == 200, page.body
    return page


def _listing(pool: ClientPool, *, limit: int = 100) -> list[dict[str, Any]]:
    """Every item of the caller's listing, following the cursor (each page checked well formed)."""
    listed: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params = {"limit": str(limit), **({"cursor": cursor} if cursor else {})}
        page = _page(pool, params)
        assert isinstance(page.json, dict)
        assert set(page.json) == {"items", "nextCursor"}
        items = page.json["items"]
        assert isinstance(items, list)
        assert len(items) <= limit
        listed += items
        next_cursor = page.json["nextCursor"]
        assert next_cursor is None or isinstance(next_cursor, str)
        if next_cursor is None:
            return listed
        cursor = next_cursor


def test_concurrent_uploads_lose_duplicate_and_corrupt_nothing(
    server: Target, loaded: tuple[ClientPool, list[Any], list[str]]
) -> None:
    pool, samples, ids = loaded
    assert len(set(ids)) == len(samples)
    listed = _all_listed(pool)
    assert len(listed) == len(samples)
    assert set(listed) == set(ids)
    assert listed == sorted(listed, reverse=True)  # newest first (ids are time-ordered)
    stored = bucket_versions(s3_client(server), server.bucket)
    versions = Counter(key.rsplit("/", 1)[1] for key, _, is_marker in stored if not is_marker)
    assert {document_id: versions[document_id] for document_id in ids} == dict.fromkeys(ids, 1)

    described, _ = run_all(WORKERS, [partial(timed, pool, "GET", f"/documents/{i}") for i in ids])
    downloaded, _ = run_all(WORKERS, [partial(timed, pool, "GET", f"/documents/{i}/content") for i in ids])

    for sample, document_id, meta, content in zip(samples, ids, described, downloaded, strict=True):
        assert meta.status == 200
        assert meta.json is not None
        assert meta.json["id"] == document_id
        assert meta.json["sha256"] == sample.sha256
        assert meta.json["size"] == len(sample.data)
        assert meta.json["contentType"] == sample.content_type
        assert content.status == 200
        assert hashlib.sha256(content.body).hexdigest() == sample.sha256


def _check_race_answer(kind: str, result: Timed, expected_body: bytes) -> None:
    if kind == "delete":
        assert result.status in (204, 404), result.body
        if result.status == 204:
            assert result.body == b""
    elif result.status == 200:
        if kind == "content":
            assert result.body == expected_body  # whole or nothing, never a partial document
        else:
            assert result.json is not None
            assert result.json["sha256"] == hashlib.sha256(expected_body).hexdigest()
    else:
        assert result.status == 404, result.body
    if result.status == 404:
        assert_error_body(result.body.decode(), "not_found")


def test_deletes_racing_reads_of_the_same_ids_give_only_well_formed_answers(server: Target) -> None:
    # Its own caller and documents: the 400 of ``loaded`` stay whole whatever order the tests run in.
    samples = mixed_documents(RACED_DOCUMENTS, seed=SEED + 1)
    pool = ClientPool(server.api_url, local_principal(server), region=server.region)
    try:
        uploads, _ = upload_all(pool, samples, workers=WORKERS)
        assert Counter(result.status for result in uploads) == {201: len(samples)}
        ids = [str((result.json or {})["id"]) for result in uploads]
        kinds = ["delete"] * DELETES_PER_DOCUMENT + ["meta", "content"] * READS_PER_DOCUMENT
        plan = [(n, kind) for n in range(len(ids)) for kind in kinds]
        random.Random(SEED).shuffle(plan)
        paths = {"delete": ("DELETE", ""), "meta": ("GET", ""), "content": ("GET", "/content")}
        tasks: list[Callable[[], Timed]] = [
            partial(timed, pool, paths[kind][0], f"/documents/{ids[n]}{paths[kind][1]}") for n, kind in plan
        ]

        results, _ = run_all(WORKERS * 2, tasks)

        deleted: Counter[int] = Counter()
        for (n, kind), result in zip(plan, results, strict=True):
            _check_race_answer(kind, result, samples[n].data)
            deleted[n] += kind == "delete" and result.status == 204
        assert all(deleted[n] >= 1 for n in range(len(ids)))
        for document_id in ids:
            after = timed(pool, "GET", f"/documents/{document_id}")
            assert after.status == 404
        assert _all_listed(pool) == []
    finally:
        pool.close()


def _upload(
    pool: ClientPool, data: bytes, content_type: str, key: str | None
) -> tuple[int, dict[str, Any], str | None]:
    """One upload: status, JSON body, and its ``Idempotent-Replayed`` header (``None`` when absent)."""
    headers = {"Content-Type": content_type, **({"Idempotency-Key": key} if key else {})}
    response = pool.client().post("/documents", content=data, headers=headers)
    return response.status_code, response.json(), response.headers.get(REPLAYED)


def test_concurrent_uploads_with_and_without_idempotency_keys_store_one_document_per_key(
    server: Target,
) -> None:
    samples = mixed_documents(IDEMPOTENCY_KEYS + UPLOADS_WITHOUT_KEY, seed=SEED + 2)
    keyed, unkeyed = samples[:IDEMPOTENCY_KEYS], samples[IDEMPOTENCY_KEYS:]
    keys = [f"concurrent-{SEED}-{n}-{random.Random(n).getrandbits(64):x}" for n in range(IDEMPOTENCY_KEYS)]
    plan: list[tuple[int, str | None]] = [
        (n, keys[n]) for n in range(IDEMPOTENCY_KEYS) for _ in range(THREADS_PER_KEY)
    ]
    plan += [(IDEMPOTENCY_KEYS + n, None) for n in range(UPLOADS_WITHOUT_KEY)]
    random.Random(SEED).shuffle(plan)
    pool = ClientPool(server.api_url, local_principal(server), region=server.region)
    try:
        with ThreadPoolExecutor(max_workers=WORKERS * 2) as executor:
            futures = [
                executor.submit(_upload, pool, samples[n].data, samples[n].content_type, key)
                for n, key in plan
            ]
            answers = [future.result() for future in futures]

        assert Counter(status for status, _, _ in answers) == {201: len(plan)}
        by_key: dict[str, list[tuple[dict[str, Any], str | None]]] = {}
        unkeyed_ids: list[str] = []
        for (n, key), (_, body, replayed) in zip(plan, answers, strict=True):
            assert body["sha256"] == samples[n].sha256
            if key is None:
                assert replayed is None
                unkeyed_ids.append(str(body["id"]))
            else:
                by_key.setdefault(key, []).append((body, replayed))
        assert len(set(unkeyed_ids)) == len(unkeyed)
        keyed_ids: list[str] = []
        for key, sent in by_key.items():
            assert len(sent) == THREADS_PER_KEY
            bodies = [body for body, _ in sent]
            assert all(body == bodies[0] for body in bodies), key  # the same document, the same answer
            # exactly one request stored it; every other one was answered with it
            assert sorted(str(replayed) for _, replayed in sent) == ["None"] + ["true"] * (
                THREADS_PER_KEY - 1
            )
            keyed_ids.append(str(bodies[0]["id"]))
        assert len(set(keyed_ids)) == len(keyed)

        everything = set(keyed_ids) | set(unkeyed_ids)
        assert sorted(_all_listed(pool)) == sorted(everything)
        stored = bucket_versions(s3_client(server), server.bucket)
        objects = Counter(key.rsplit("/", 1)[1] for key, _, is_marker in stored if not is_marker)
        assert {document_id: objects[document_id] for document_id in everything} == dict.fromkeys(
            everything, 1
        )
        for n, key in enumerate(keys):  # and later retries replay it
            status, body, replayed = _upload(pool, keyed[n].data, keyed[n].content_type, key)
            assert (status, replayed) == (201, "true")
            assert body == by_key[key][0][0]
    finally:
        pool.close()


def _walk_listing(pool: ClientPool, limit: int) -> list[dict[str, Any]]:
    """One listing followed to its end, while deletes run: no item twice, newest first across pages."""
    items = _listing(pool, limit=limit)
    ids = [str(item["id"]) for item in items]
    assert len(ids) == len(set(ids))
    assert ids == sorted(ids, reverse=True)
    return items


def test_deletes_racing_listings_give_well_formed_pages_and_the_listing_converges(server: Target) -> None:
    samples = mixed_documents(LISTED_DOCUMENTS, seed=SEED + 3)
    pool = ClientPool(server.api_url, local_principal(server), region=server.region)
    try:
        uploads, _ = upload_all(pool, samples, workers=WORKERS)
        assert Counter(result.status for result in uploads) == {201: len(samples)}
        described = {str((result.json or {})["id"]): result.json for result in uploads}
        kept = set(random.Random(SEED).sample(sorted(described), LISTED_DOCUMENTS // 3))
        doomed = sorted(set(described) - kept)
        rng = random.Random(SEED + 1)
        plan: list[tuple[str, str | int]] = [("delete", document_id) for document_id in doomed]
        plan += [("list", rng.randint(1, 12)) for _ in range(LISTINGS)]
        rng.shuffle(plan)

        def run(kind: str, argument: str | int) -> Any:
            if kind == "delete":
                return timed(pool, "DELETE", f"/documents/{argument}").status
            return _walk_listing(pool, int(argument))

        with ThreadPoolExecutor(max_workers=WORKERS * 2) as executor:
            futures = [executor.submit(run, kind, argument) for kind, argument in plan]
            results = [future.result() for future in futures]

        for (kind, _), result in zip(plan, results, strict=True):
            if kind == "delete":
                assert result == 204
                continue
            for item in result:
                assert item == described[item["id"]]  # only the caller's documents, as uploaded
            assert kept <= {item["id"] for item in result}  # a document nobody deletes is never skipped
        deadline = time.monotonic() + CONVERGENCE_SECONDS
        while (listed := set(_all_listed(pool))) != kept and time.monotonic() < deadline:
            time.sleep(0.2)
        assert listed == kept
        assert [item for item in _listing(pool) if item != described[item["id"]]] == []
        for document_id in doomed:
            assert timed(pool, "GET", f"/documents/{document_id}").status == 404
    finally:
        pool.close()
