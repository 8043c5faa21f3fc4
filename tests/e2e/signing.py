"""Who the suite signs as: the local principals a local-mode run accepts, one fresh caller per client.

Every HTTP request of the suite is SigV4-signed (``local_mode.signing.BotocoreSigV4``), against local
mode and a deployed stack alike. Locally, the suite starts local mode with a principals file of its
own (``PrincipalPool``): enough IAM users that each client gets one nobody else used, so every test
starts with an empty document list, and a few assumed-role sessions for the owner-scope tests.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import requests
import requests.auth

from local_mode.principals import new_session, new_user
from local_mode.signing import credentials_of, sign

if TYPE_CHECKING:
    from local_mode.principals import Principal

POOL_USERS = 2000
"""Fresh callers a local run can hand out (the suite uses a few hundred)."""
SESSION_NAMES = ("first", "second")


class PoolExhaustedError(RuntimeError):
    """More local callers were asked for than the pool holds."""


class PrincipalPool:
    """Principals for one local-mode run: fresh IAM users, and two roles' sessions."""

    def __init__(self, users: int = POOL_USERS) -> None:
        tag = uuid.uuid4().hex[:8]
        self._users = [new_user(f"e2e-{n}-{tag}") for n in range(users)]
        self._next = 0
        self.role = f"e2e-role-{tag}"
        """A role with two sessions (``sessions[role]``) ..."""
        self.other_role = f"e2e-other-{tag}"
        """... and another role with one (``sessions[other_role]``)."""
        self.sessions: dict[str, dict[str, Principal]] = {
            self.role: {name: new_session(self.role, name) for name in SESSION_NAMES},
            self.other_role: {"first": new_session(self.other_role, "first")},
        }

    def all(self) -> list[Principal]:
        """Everything local mode must accept (what goes in its principals file)."""
        return [*self._users, *(p for by_name in self.sessions.values() for p in by_name.values())]

    def user(self) -> Principal:
        """A user no client has signed as yet."""
        if self._next >= len(self._users):
            raise PoolExhaustedError(f"all {len(self._users)} local callers are in use; raise POOL_USERS")
        principal = self._users[self._next]
        self._next += 1
        return principal


class RequestsSigV4(requests.auth.AuthBase):
    """The same botocore signing for ``requests`` (what schemathesis sends its generated cases with)."""

    def __init__(self, principal: Principal, region: str) -> None:
        self._credentials = credentials_of(principal)
        self._region = region

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        if not isinstance(body, (str, bytes)):
            raise TypeError(f"cannot sign a streamed {type(body).__name__} body")
        headers = [
            (name, value if isinstance(value, str) else value.decode("latin-1"))
            for name, value in request.headers.items()
        ]
        signature = sign(
            self._credentials,
            self._region,
            method=request.method or "GET",
            url=request.url or "",
            headers=headers,
            body=body.encode() if isinstance(body, str) else body,
        )
        request.headers.update(signature)
        return request
