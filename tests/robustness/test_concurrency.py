"""Concurrency through local mode: 8 workers x 50 uploads of mixed types and sizes, then every document
verified by id and checksum (nothing lost, duplicated or corrupted), then deletes racing reads of the
same ids (only well-formed 200/204/404 answers, never a partial body). Each test uploads its own
documents as its own caller, so neither depends on the other having run (or not) first.

Bounded so CI stays fast (about 20 s here); throughput and latency are measured by
``python -m benchmarks.load`` (the same workload), never asserted here.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
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
    listed: list[str] = []
    cursor: str | None = None
    while True:
        params = {"limit": "100", **({"cursor": cursor} if cursor else {})}
        page = timed(pool, "GET", "/documents", params=params)
        assert page.status == 200
        assert page.json is not None
        listed += [str(item["id"]) for item in page.json["items"]]  # type: ignore[attr-defined]
        cursor = page.json["nextCursor"]  # type: ignore[assignment]
        if cursor is None:
            return listed


def test_concurrent_uploads_lose_duplicate_and_corrupt_nothing(
    server: Target, loaded: tuple[ClientPool, list[Any], list[str]]
) -> None:
    pool, samples, ids = loaded
    assert len(set(ids)) == len(samples)
    listed = _all_listed(pool)
    assert len(listed) == len(samples)
    assert set(listed) == set(ids)
    assert listed == sorted(listed)
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
