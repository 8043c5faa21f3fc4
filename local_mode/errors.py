"""The one exception family of local mode, so callers can catch local-mode problems precisely."""

from __future__ import annotations


class LocalModeError(Exception):
    """Base class: a problem starting or running local mode, with a message that says how to fix it."""


class ConfigurationError(LocalModeError):
    """A local-mode setting (e.g. ``PORT``) has an invalid value."""


class InvalidCallerError(LocalModeError):
    """The local-only caller header does not hold a principal ARN the adapter can play."""


class InvalidProxyResponseError(LocalModeError):
    """The handler returned something API Gateway could not turn into an HTTP response."""
