"""SnapStart: after a restore the store gets a new client (new session, credentials read again) and
``random`` is reseeded, so environments restored from one snapshot share neither.

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
from document_processor.handler import Application
from document_processor.settings import load_settings
from document_processor.storage import DocumentStore, create_s3_client
from tests.unit.service.conftest import BUCKET

if TYPE_CHECKING:
    from collections.abc import Callable


@pytest.fixture
def restore_hooks(monkeypatch: pytest.MonkeyPatch) -> list[Callable[[], None]]:
    """What the service registers with the runtime's ``snapshot_restore_py.register_after_restore``."""
    registered: list[Callable[[], None]] = []
    runtime_module = types.ModuleType("snapshot_restore_py")
    runtime_module.register_after_restore = registered.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", runtime_module)
    return registered


def _access_key_sent(client: Any, call: Callable[[], object]) -> str:
    """The access key id in the SigV4 ``Authorization`` header of the request ``call`` makes."""
    sent: list[str] = []

    def record(request: Any, **_: Any) -> None:
        sent.append(request.headers["Authorization"].decode())

    client.meta.events.register("before-send.s3", record)
    call()
    return sent[-1].split("Credential=", 1)[1].split("/", 1)[0]


def test_the_module_client_is_renewed_after_a_restore(
    restore_hooks: list[Callable[[], None]], s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = Application.from_settings(load_settings({"DOCUMENTS_BUCKET": BUCKET}))
    assert app.service is not None
    store: DocumentStore = app.service._store
    snapshot_client = store._client
    assert len(restore_hooks) == 1
    assert _access_key_sent(snapshot_client, lambda: store.head("documents/x/none")) == "testing"

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDRESTORED")  # the credentials the restored sandbox has
    restore_hooks[0]()

    assert store._client is not snapshot_client
    assert _access_key_sent(store._client, lambda: store.head("documents/x/none")) == "AKIDRESTORED"


def test_restored_environments_draw_different_random_numbers(
    restore_hooks: list[Callable[[], None]], aws_credentials: None
) -> None:
    store = DocumentStore(create_s3_client(), BUCKET)
    assert snapstart.renew_after_restore(store)
    draws = []
    for _ in range(2):  # two environments resumed from one snapshot: the same generator state
        random.seed(1234)
        restore_hooks[0]()
        draws.append(random.random())

    assert draws[0] != draws[1]


def test_a_client_passed_in_is_left_alone(restore_hooks: list[Callable[[], None]], s3: Any) -> None:
    Application.from_settings(load_settings({"DOCUMENTS_BUCKET": BUCKET}), client=s3)

    assert restore_hooks == []


def test_a_failed_renewal_keeps_the_snapshot_client(
    restore_hooks: list[Callable[[], None]], s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = DocumentStore(s3, BUCKET)
    snapstart.renew_after_restore(store)
    monkeypatch.setattr(snapstart, "create_s3_client", _failing_client)

    restore_hooks[0]()

    assert store._client is s3


def test_outside_the_lambda_runtime_nothing_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # makes the import fail

    assert snapstart.after_restore(lambda: None) is False


def _failing_client(**_: Any) -> Any:
    raise RuntimeError("no credentials after restore")
