"""SnapStart: what must not be shared by every execution environment restored from one snapshot.

With SnapStart (``enableSnapStart``) the module-level set-up runs once, when a version is published,
and every environment resumes from that memory. Two things made then must be made again after each
restore: the S3 and DynamoDB clients (pooled TLS connections opened before the snapshot, and the default
session cached the credentials it resolved then) and the state of ``random``, which botocore's standard
retry mode draws its backoff jitter from: restored environments would otherwise retry in lockstep.
Document ids use ``secrets`` (the operating system's generator), which a snapshot does not repeat.

The runtime provides ``snapshot_restore_py`` (Lambda's Python managed runtimes include it); elsewhere,
and in a function without SnapStart, registering does nothing and the hook never runs.
"""

from __future__ import annotations

import logging
import random
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from document_processor.clients import LazyClient

LOGGER = logging.getLogger("document_processor.snapstart")


def after_restore(hook: Callable[[], None]) -> bool:
    """Have the runtime call ``hook`` after each restore; ``False`` where there is no runtime to ask."""
    try:
        from snapshot_restore_py import register_after_restore  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return False
    register_after_restore(hook)
    return True


def renew_after_restore(*clients: LazyClient[Any]) -> bool:
    """Register the hook that renews ``clients`` (fresh session, fresh connections) and reseeds ``random``.

    A client made before the snapshot is remade now (kept if that fails: it still answers, or fails with
    the usual 5xx); one not made yet will be made from a fresh session when first needed.
    """

    def renew() -> None:
        random.seed()  # from os.urandom, which differs in every restored environment
        for client in clients:
            client.renew()
        LOGGER.info("Restored from a snapshot: clients and random state renewed")

    return after_restore(renew)
