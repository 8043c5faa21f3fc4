"""SnapStart: after a restore the S3 and DynamoDB clients are made again (new session, credentials read
again) and ``random`` is reseeded, so environments restored from one snapshot share neither.

``snapshot_restore_py`` exists only inside Lambda's Python runtime; a stand-in with its one function
records what the service registers, and the test then plays the runtime and calls the hooks. The
hooks themselves are the service's own code.
"""

from __future__ import annotations

import random
import sys
import types
from typing import TYPE_CHECKING, Any

import pytest

from document_processor import snapstart
from document_processor.clients import LazyClient
from document_processor.handler import Application
from document_processor.settings import load_settings
from document_processor.storage import create_s3_client
from tests.unit.service.conftest import BUCKET, TABLE

if TYPE_CHECKING:
    from collections.abc import Callable

    from document_processor.catalogue import Catalogue
    from document_processor.storage import DocumentStore


@pytest.fixture
def restore_hooks(monkeypatch: pytest.MonkeyPatch) -> list[Callable[[], None]]:
    """What the service registers with the runtime's ``snapshot_restore_py.register_after_restore``."""
    registered: list[Callable[[], None]] = []
    runtime_module = types.ModuleType("snapshot_restore_py")
    runtime_module.register_after_restore = registered.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", runtime_module)
    return registered


def _access_key_sent(client: Any, service: str, call: Callable[[], object]) -> str:
    """The access key id in the SigV4 ``Authorization`` header of the request ``call`` makes."""
    sent: list[str] = []

    def record(request: Any, **_: Any) -> None:
        sent.append(request.headers["Authorization"].decode())

    client.meta.events.register(f"before-send.{service}", record)
    call()
    return sent[-1].split("Credential=", 1)[1].split("/", 1)[0]


def test_the_module_clients_are_renewed_after_a_restore(
    restore_hooks: list[Callable[[], None]], s3: Any, dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = Application.from_settings(load_settings({"DOCUMENTS_BUCKET": BUCKET, "CATALOGUE_TABLE": TABLE}))
    assert app.service is not None
    store: DocumentStore = app.service._store
    catalogue: Catalogue = app.service._catalogue
    snapshot_s3, snapshot_dynamodb = store._client, catalogue._client  # made before the snapshot
    assert len(restore_hooks) == 1
    assert _access_key_sent(snapshot_s3, "s3", lambda: store.head("documents/x/none")) == "testing"

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDRESTORED")  # the credentials the restored sandbox has
    restore_hooks[0]()

    assert store._client is not snapshot_s3
    assert catalogue._client is not snapshot_dynamodb
    assert _access_key_sent(store._client, "s3", lambda: store.head("documents/x/none")) == "AKIDRESTORED"
    assert _access_key_sent(catalogue._client, "dynamodb", lambda: catalogue.delete_document("k", "i")) == (
        "AKIDRESTORED"
    )


def test_a_client_first_needed_after_a_restore_uses_a_fresh_session(
    restore_hooks: list[Callable[[], None]], s3: Any, dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A client made before the snapshot caches boto3's default session; one made after must not use it.
    import boto3

    boto3.client("sts")  # the default session now holds the snapshot's credentials
    app = Application.from_settings(load_settings({"DOCUMENTS_BUCKET": BUCKET, "CATALOGUE_TABLE": TABLE}))
    assert app.service is not None
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDRESTORED")
    restore_hooks[0]()
    catalogue: Catalogue = app.service._catalogue

    assert not catalogue._clients.created
    assert _access_key_sent(catalogue._client, "dynamodb", lambda: catalogue.delete_document("k", "i")) == (
        "AKIDRESTORED"
    )


def test_restored_environments_draw_different_random_numbers(
    restore_hooks: list[Callable[[], None]], aws_credentials: None
) -> None:
    assert snapstart.renew_after_restore(LazyClient(create_s3_client, name="s3"))
    draws = []
    for _ in range(2):  # two environments resumed from one snapshot: the same generator state
        random.seed(1234)
        restore_hooks[0]()
        draws.append(random.random())

    assert draws[0] != draws[1]


def test_clients_passed_in_are_left_alone(
    restore_hooks: list[Callable[[], None]], s3: Any, dynamodb: Any
) -> None:
    app = Application.from_settings(
        load_settings({"DOCUMENTS_BUCKET": BUCKET, "CATALOGUE_TABLE": TABLE}), client=s3, dynamodb=dynamodb
    )
    assert app.service is not None
    assert len(restore_hooks) == 1  # for the module's own presigning and completion clients

    restore_hooks[0]()

    assert app.service._store._client is s3
    assert app.service._catalogue._client is dynamodb


def test_a_failed_renewal_keeps_the_snapshot_client(restore_hooks: list[Callable[[], None]], s3: Any) -> None:
    calls: list[dict[str, object]] = []

    def factory(**kwargs: object) -> Any:
        calls.append(kwargs)
        if len(calls) > 1:
            raise RuntimeError("no credentials after restore")
        return s3

    slot: LazyClient[Any] = LazyClient(factory, name="s3")
    snapstart.renew_after_restore(slot)
    assert slot.get() is s3

    restore_hooks[0]()

    assert slot.get() is s3
    assert len(calls) == 2
    assert set(calls[1]) == {"session"}  # the renewal asked for a fresh session


def test_outside_the_lambda_runtime_nothing_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # makes the import fail

    assert snapstart.after_restore(lambda: None) is False
