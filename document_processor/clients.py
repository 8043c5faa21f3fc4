"""AWS clients made on first use, one per execution environment, renewable after a SnapStart restore.

Each route needs only what it touches (``GET /documents`` the catalogue, ``GET /documents/{id}`` S3),
so a client is created by the first request that needs it, not at import: a cold start that serves
a listing never pays for building the S3 client, and the other way round (the benchmarks measure it).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from document_processor.errors import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Callable

ClientT = TypeVar("ClientT")
LOGGER = logging.getLogger("document_processor.clients")
NOT_CONFIGURED_MESSAGE = "The service is not configured."


class LazyClient(Generic[ClientT]):
    """Holds one client, made by ``factory`` on first use (``factory(session=...)`` after a restore).

    ``factory`` is called with no argument the first time (boto3's default session), and with
    ``session=`` a fresh ``boto3.session.Session`` once ``renew`` was called, so credentials resolved
    before a snapshot are never reused. A factory that raises is logged and answered as a 500
    ``configuration_error`` (no region, an SDK too old): the next request tries again.
    """

    def __init__(self, factory: Callable[..., ClientT], *, name: str, client: ClientT | None = None) -> None:
        self._factory = factory
        self._name = name
        self._client = client
        self._fresh_session = False

    @property
    def created(self) -> bool:
        """Whether a client exists (tests and the benchmarks check which route made which)."""
        return self._client is not None

    def get(self) -> ClientT:
        """The client, made now if this is its first use."""
        if self._client is None:
            try:
                self._client = self._make()
            except Exception:
                LOGGER.exception("Could not create a client", extra={"client": self._name})
                raise ConfigurationError(NOT_CONFIGURED_MESSAGE) from None
        return self._client

    def replace(self, client: ClientT) -> None:
        """Use ``client`` from now on."""
        self._client = client

    def renew(self) -> None:
        """After a restore: a client that exists is remade from a fresh session now, a future one will be.

        If remaking fails, the snapshot's client is kept: it still answers, or fails with the usual 5xx.
        """
        self._fresh_session = True
        if self._client is None:
            return
        try:
            self._client = self._make()
        except Exception:
            LOGGER.exception(
                "Restored from a snapshot: could not renew a client", extra={"client": self._name}
            )

    def _make(self) -> ClientT:
        if not self._fresh_session:
            return self._factory()
        import boto3.session

        session: Any = boto3.session.Session()
        return self._factory(session=session)
