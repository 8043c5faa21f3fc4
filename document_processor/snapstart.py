"""SnapStart: what must not be shared by every execution environment restored from one snapshot.

With SnapStart (``enableSnapStart``) the module-level set-up runs once, when a version is published,
and every environment resumes from that memory. Two things made then must be made again after each
restore: the S3 client (its pooled TLS connections were opened before the snapshot, and the default
session cached the credentials it resolved then) and the state of ``random``, which botocore's standard
retry mode draws its backoff jitter from: restored environments would otherwise retry in lockstep.
Document ids use ``secrets`` (the operating system's generator), which a snapshot does not repeat.

The runtime provides ``snapshot_restore_py`` (Lambda's Python managed runtimes include it); elsewhere,
and in a function without SnapStart, registering does nothing and the hook never runs.
"""

from __future__ import annotations

import logging
import random
from typing import TYPE_CHECKING

from document_processor.storage import create_s3_client

if TYPE_CHECKING:
    from collections.abc import Callable

    from document_processor.storage import DocumentStore

LOGGER = logging.getLogger("document_processor.snapstart")


def after_restore(hook: Callable[[], None]) -> bool:
    """Have the runtime call ``hook`` after each restore; ``False`` where there is no runtime to ask."""
    try:
        from snapshot_restore_py import register_after_restore  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return False
    register_after_restore(hook)
    return True


def renew_after_restore(store: DocumentStore) -> bool:
    """Register the hook that gives ``store`` a fresh client (fresh session) and reseeds ``random``."""

    def renew() -> None:
        import boto3.session

        random.seed()  # from os.urandom, which differs in every restored environment
        try:
            client = create_s3_client(session=boto3.session.Session())
        except Exception:  # the snapshot's client still answers, or fails with the usual 5xx
            LOGGER.exception("Restored from a snapshot: could not renew the S3 client")
            return
        store.replace_client(client)
        LOGGER.info("Restored from a snapshot: S3 client and random state renewed")

    return after_restore(renew)
