"""The hostile-input corpus: every abusive request, defined once, with the answer it must get.

Two runners execute this table: ``tests/robustness/test_hostile_handler.py`` (straight at the handler,
REST v1 and function-URL v2 events) and ``tests/e2e/test_hostile_http.py`` (over HTTP through local
mode, or a deployed stack). Each refused case must leave the bucket exactly as it was: no object, no
version, no delete marker (metadata lives on the object, so no object means no metadata either).

A few cases cannot be expressed over HTTP and run at the handler only, with the reason in
``handler_only`` (API Gateway never forwards them: it always base64-encodes bodies canonically and
always fills in the verified identity). A few depend on the wire itself (a ``Content-Length`` that
lies) and run over HTTP only, with the reason in ``http_only``. Where API Gateway answers before the
function runs, the HTTP expectation differs from the handler's and says so in ``over_http``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.e2e import samples

if TYPE_CHECKING:
    from collections.abc import Callable

VALID_ID = "0190a1b2c3d4e5f60718293a4b5c6d7e"
"""A canonical id that names no document (ids are validated before any S3 call)."""
API_GATEWAY_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
"""API Gateway's request payload limit (local mode's adapter enforces the same)."""
MISSING_AUTHENTICATION_TOKEN = "Missing Authentication Token"
"""What API Gateway answers (403) for a path or method the API does not declare."""
NOT_OVER_HTTP_BASE64 = "API Gateway base64-encodes binary bodies itself, always canonically"
NOT_OVER_HTTP_IDENTITY = "API Gateway (AWS_IAM) never invokes the function without a verified identity"
NOT_OVER_HTTP_NEWLINE = "a CR/LF inside a header value ends the header line on the wire"
NOT_OVER_HTTP_NON_ASCII = (
    "HTTP carries header values as bytes; which decoding reaches the function is the gateway's"
)
_CURSOR_CHARACTERS = 38
"""Unpadded base64url of a cursor's 28 bytes (16 id bytes, 12 tag bytes)."""

_EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
_ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56


@dataclass(frozen=True)
class Refused:
    """The service refuses: this status and ``error.code``, and nothing is written."""

    status: int
    code: str


@dataclass(frozen=True)
class GatewayRefused:
    """API Gateway (or local mode's adapter) refuses before the function runs; nothing is written.

    ``message`` is the JSON ``{"message": ...}`` body, or ``None`` for the plain-text 413.
    """

    status: int
    message: str | None


@dataclass(frozen=True)
class Sanitised:
    """Accepted (201, one object written) with the client's filename made safe: ``filename``."""

    filename: str | None


Outcome = Refused | GatewayRefused | Sanitised


@dataclass(frozen=True)
class Case:
    """One hostile request and the answer it must get."""

    name: str
    method: str
    path: str
    """Path as sent on the wire (percent-encoding kept)."""
    expected: Outcome
    """The answer at the handler (and over HTTP unless ``over_http`` says otherwise)."""
    headers: tuple[tuple[str, str], ...] = ()
    query: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    oversize_by: int | None = None
    """When set, the body is ``max_document_bytes + oversize_by`` bytes of text (limit-relative)."""
    over_http: Outcome | None = None
    """The answer over HTTP when API Gateway answers differently from the handler."""
    handler_only: str = ""
    """Why the case cannot be sent over HTTP (then it runs at the handler only)."""
    http_only: str = ""
    """Why the case exists only on the wire (then it runs over HTTP only)."""
    raw_event_body: str | None = None
    """Handler runner: the event's ``body`` verbatim (with ``isBase64Encoded``), for encoding cases."""
    patch_event: Callable[[dict[str, Any]], None] | None = field(default=None, compare=False)
    """Handler runner: a change to the built event (identity, raw header values)."""
    raw_request: bytes | None = None
    """HTTP runner: bytes sent verbatim after the request line's headers (wire-level cases)."""

    def body_for(self, max_document_bytes: int) -> bytes:
        """The request body, sized against the target's limit when the case is about size."""
        if self.oversize_by is None:
            return self.body
        return b"a" * (max_document_bytes + self.oversize_by)

    def expected_over_http(self) -> Outcome:
        """What an HTTP client sees."""
        return self.over_http if self.over_http is not None else self.expected


def _upload(
    name: str,
    content_type: str | None,
    body: bytes,
    expected: Outcome,
    *,
    disposition: str | None = None,
    **kwargs: Any,
) -> Case:
    headers: list[tuple[str, str]] = []
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    if disposition is not None:
        headers.append(("Content-Disposition", disposition))
    return Case(name, "POST", "/documents", expected, headers=tuple(headers), body=body, **kwargs)


def _named(name: str, disposition: str, filename: str | None) -> Case:
    return _upload(name, "text/plain", b"named\n", Sanitised(filename), disposition=disposition)


def _get(name: str, path: str, expected: Outcome, **kwargs: Any) -> Case:
    return Case(name, "GET", path, expected, **kwargs)


def _listing(name: str, query: tuple[tuple[str, str], ...], code: str) -> Case:
    return Case(name, "GET", "/documents", Refused(400, code), query=query)


def _without_identity(event: dict[str, Any]) -> None:
    event["requestContext"].pop("identity", None)
    event["requestContext"].pop("authorizer", None)


def _identity_only_in_headers(event: dict[str, Any]) -> None:
    """A caller who names a principal in headers (as local mode's removed ``X-Local-Caller`` did) but has
    no request context: identity-looking headers must never stand in for it."""
    principal = "arn:aws:iam::111122223333:user/mallory"
    _without_identity(event)
    event["headers"]["X-Local-Caller"] = principal
    event["headers"]["x-amz-user-arn"] = principal


def _wildcard_principal(event: dict[str, Any]) -> None:
    context = event["requestContext"]
    (context.get("identity") or context["authorizer"]["iam"])["userArn"] = "*"


def _principal(user_arn: str) -> Callable[[dict[str, Any]], None]:
    """The request context names ``user_arn`` (with its account, so only the ARN itself is wrong)."""

    def patch(event: dict[str, Any]) -> None:
        context = event["requestContext"]
        source = context.get("identity") or context["authorizer"]["iam"]
        source.update(userArn=user_arn, accountId="111122223333")

    return patch


def _identity_in_the_wrong_place_for_v2(event: dict[str, Any]) -> None:
    """A v1-style ``identity`` on any event, with the v2 ``authorizer`` removed."""
    context = event["requestContext"]
    authorizer = context.pop("authorizer", None)
    if authorizer is not None:
        context["identity"] = dict(authorizer["iam"])


def _header(name: str, value: str) -> Callable[[dict[str, Any]], None]:
    def patch(event: dict[str, Any]) -> None:
        event["headers"][name] = value
        if isinstance(event.get("multiValueHeaders"), dict):
            event["multiValueHeaders"][name] = [value]

    return patch


def _base64_body(name: str, raw: str, expected: Outcome) -> Case:
    return _upload(
        name,
        "text/plain",
        b"unused",
        expected,
        raw_event_body=raw,
        handler_only=NOT_OVER_HTTP_BASE64,
    )


_PDF = samples.pdf(pages=1).data
_PNG = samples.png().data
_JPEG = samples.jpeg().data
_GATEWAY_403 = GatewayRefused(403, MISSING_AUTHENTICATION_TOKEN)

CASES: tuple[Case, ...] = (
    # --- size ------------------------------------------------------------------------------------
    _upload("one-byte-over-the-limit", "text/plain", b"", Refused(413, "document_too_large"), oversize_by=1),
    _upload(
        "far-over-the-limit-under-the-gateway-limit",
        "text/plain",
        b"",
        Refused(413, "document_too_large"),
        oversize_by=3_000_000,
        # The 7.5 MB body's base64 event exceeds Lambda's 6 MB invocation payload: the gateway refuses.
        over_http=GatewayRefused(413, "Request Too Long"),
    ),
    _upload(
        "over-api-gateways-10-mb",
        "text/plain",
        b"a" * (API_GATEWAY_MAX_PAYLOAD_BYTES + 1),
        Refused(413, "document_too_large"),
        over_http=GatewayRefused(413, None),
    ),
    _upload(
        "content-length-claims-20-mb",
        "text/plain",
        b"tiny",
        GatewayRefused(413, None),
        http_only="the lie is in the Content-Length header of the wire request",
        raw_request=b"Content-Length: 20971520\r\n\r\ntiny",
    ),
    _upload(
        "content-length-zero-with-a-body",
        "text/plain",
        b"",
        Refused(400, "empty_body"),
        http_only="the lie is in the Content-Length header of the wire request",
        raw_request=b"Content-Length: 0\r\n\r\nsmuggled body bytes",
    ),
    # --- empty and whitespace bodies -----------------------------------------------------------
    _upload("empty-body", "text/plain", b"", Refused(400, "empty_body")),
    _upload("empty-body-declared-pdf", "application/pdf", b"", Refused(400, "empty_body")),
    _upload(
        "whitespace-declared-pdf", "application/pdf", b" \r\n\t \n", Refused(415, "content_type_mismatch")
    ),
    _upload("whitespace-declared-png", "image/png", b"\n" * 64, Refused(415, "content_type_mismatch")),
    _base64_body("whitespace-only-base64", "    ", Refused(400, "invalid_base64")),
    # --- content-type spoofing -----------------------------------------------------------------
    _upload("executable-declared-pdf", "application/pdf", _EXECUTABLE, Refused(415, "content_type_mismatch")),
    _upload(
        "pdf-header-on-an-executable",
        "application/pdf",
        b"%PDF-1.7\n" + _EXECUTABLE,
        Refused(415, "malformed_document"),
    ),
    _upload("elf-declared-text", "text/plain", _ELF, Refused(415, "invalid_text_encoding")),
    _upload(
        "png-pdf-polyglot-declared-pdf",
        "application/pdf",
        _PNG + _PDF,
        Refused(415, "content_type_mismatch"),
    ),
    _upload(
        "pdf-png-polyglot-declared-png",
        "image/png",
        _PDF + _PNG,
        Refused(415, "content_type_mismatch"),
    ),
    _upload(
        "jpeg-signature-on-html",
        "image/jpeg",
        b"\xff\xd8\xff<html><script>alert(1)</script></html>",
        Refused(415, "malformed_document"),
    ),
    _upload(
        "gif-declared-png",
        "image/png",
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        Refused(415, "content_type_mismatch"),
    ),
    _upload(
        "svg-declared-png", "image/png", b"<svg onload='alert(1)'/>", Refused(415, "content_type_mismatch")
    ),
    _upload("pdf-declared-text", "text/plain", _PDF, Refused(415, "content_type_mismatch")),
    _upload("jpeg-declared-text", "text/plain", _JPEG, Refused(415, "content_type_mismatch")),
    _upload("svg-type", "image/svg+xml", b"<svg/>", Refused(415, "unsupported_content_type")),
    _upload("html-type", "text/html", b"<script>alert(1)</script>", Refused(415, "unsupported_content_type")),
    _upload(
        "two-types-in-one-header",
        "application/pdf, text/plain",
        _PDF,
        Refused(415, "unsupported_content_type"),
    ),
    _upload(
        "unterminated-quoted-parameter",
        'text/plain; charset="utf-8',
        b"x",
        Refused(415, "unsupported_content_type"),
    ),
    _upload("missing-content-type", None, b"hello", Refused(415, "missing_content_type")),
    _upload(
        "content-type-with-crlf",
        "text/plain",
        b"hello",
        Refused(415, "unsupported_content_type"),
        patch_event=_header("Content-Type", "text/plain\r\nX-Injected: 1"),
        handler_only=NOT_OVER_HTTP_NEWLINE,
    ),
    # --- text encodings ------------------------------------------------------------------------
    _upload("latin-1-bytes", "text/plain", "café".encode("latin-1"), Refused(415, "invalid_text_encoding")),
    _upload("overlong-utf-8-slash", "text/plain", b"..\xc0\xafetc", Refused(415, "invalid_text_encoding")),
    _upload(
        "utf-8-encoded-surrogate", "text/plain", b"a\xed\xa0\x80b", Refused(415, "invalid_text_encoding")
    ),
    _upload(
        "truncated-utf-8-sequence",
        "text/plain",
        "Grüße".encode()[:-1] + b"\xe2\x82",
        Refused(415, "invalid_text_encoding"),
    ),
    _upload("nul-byte-in-text", "text/plain", b"line\x00two", Refused(415, "invalid_text_encoding")),
    _upload(
        "utf-16-declared-charset",
        "text/plain; charset=utf-16",
        "hello".encode("utf-16"),
        Refused(415, "invalid_text_encoding"),
    ),
    _upload(
        "lone-surrogate-in-an-unencoded-body",
        "text/plain",
        b"unused",
        Refused(400, "invalid_request"),
        patch_event=lambda event: event.update(body="a\ud800b", isBase64Encoded=False),
        handler_only="API Gateway's binary media type */* always hands the function base64",
    ),
    # --- base64 (handler only) -----------------------------------------------------------------
    _base64_body("base64-foreign-characters", "aGVs*G8=", Refused(400, "invalid_base64")),
    _base64_body("base64-missing-padding", "aGVsbG8", Refused(400, "invalid_base64")),
    _base64_body("base64-non-zero-padding-bits", "aGVsbG9=", Refused(400, "invalid_base64")),
    _base64_body("base64-embedded-newline", "aGVs\nbG8=", Refused(400, "invalid_base64")),
    _base64_body("base64-data-after-padding", "aGk=aGk=", Refused(400, "invalid_base64")),
    _base64_body("base64-url-safe-alphabet", "-_-_", Refused(400, "invalid_base64")),
    _base64_body("base64-only-padding", "====", Refused(400, "invalid_base64")),
    # --- ids: traversal, encodings, look-alikes ------------------------------------------------
    _get("encoded-traversal", "/documents/..%2F..%2Fetc%2Fpasswd", Refused(400, "invalid_id")),
    _get("double-encoded-traversal", "/documents/%252e%252e%252fetc", Refused(400, "invalid_id")),
    _get("dot-dot-id", "/documents/..", Refused(400, "invalid_id")),
    _get("dot-dot-content", "/documents/../content", Refused(400, "invalid_id")),
    _get("encoded-backslash-traversal", "/documents/..%5C..%5Cwindows", Refused(400, "invalid_id")),
    _get("fullwidth-digits", "/documents/" + "%EF%BC%90" * 32, Refused(400, "invalid_id")),
    _get("arabic-indic-digits", "/documents/" + "%D9%A0" * 32, Refused(400, "invalid_id")),
    _get("cyrillic-a-look-alike", f"/documents/{VALID_ID[:-1]}%D0%B0", Refused(400, "invalid_id")),
    _get("id-with-trailing-newline", f"/documents/{VALID_ID}%0A", Refused(400, "invalid_id")),
    _get("id-with-nul", f"/documents/{VALID_ID}%00", Refused(400, "invalid_id")),
    _get("upper-case-id", f"/documents/{VALID_ID.upper()}", Refused(400, "invalid_id")),
    _get("over-long-id", "/documents/" + "0" * 4096, Refused(400, "invalid_id")),
    _get("traversal-on-download", "/documents/..%2F..%2F/content", Refused(400, "invalid_id")),
    Case(
        "traversal-on-delete",
        "DELETE",
        "/documents/..%2Fother-owner%2F" + VALID_ID,
        Refused(400, "invalid_id"),
    ),
    # --- filenames and Content-Disposition -----------------------------------------------------
    _named(
        "filename-crlf-header-injection",
        "attachment; filename*=UTF-8''evil%0D%0ASet-Cookie%3A%20a%3Db.txt",
        "evil Set-Cookie_ a=b.txt",
    ),
    _named("filename-path-traversal", 'attachment; filename="../../etc/passwd"', "passwd"),
    _named("filename-windows-traversal", 'attachment; filename="..\\..\\boot.ini"', "boot.ini"),
    _named("filename-terminal-escapes", "attachment; filename*=UTF-8''%1B%5B31mred%07.txt", "[31mred.txt"),
    _named(
        "filename-bidi-override", "attachment; filename*=UTF-8''invoice%E2%80%AEfdp.exe", "invoicefdp.exe"
    ),
    _named("filename-nul", "attachment; filename*=UTF-8''a%00b.txt", "ab.txt"),
    _named(
        "filename-reserved-characters", "attachment; filename*=UTF-8''a%3Cb%3Ec%7Cd%3Fe%2Af", "a_b_c_d_e_f"
    ),
    _named("filename-over-long", f'attachment; filename="{"x" * 1000}.txt"', "x" * 255),
    _named("filename-over-long-multibyte", "attachment; filename*=UTF-8''" + "%C3%A9" * 200, "é" * 127),
    _named("filename-only-dots", 'attachment; filename="...."', None),
    _upload(
        "filename-invalid-utf-8",
        "text/plain",
        b"x",
        Refused(400, "invalid_content_disposition"),
        disposition="attachment; filename*=UTF-8''%FF%FE.txt",
    ),
    _upload(
        "filename-utf-16-charset",
        "text/plain",
        b"x",
        Refused(400, "invalid_content_disposition"),
        disposition="attachment; filename*=UTF-16''%FF%FEa%00",
    ),
    _upload(
        "disposition-unknown-type",
        "text/plain",
        b"x",
        Refused(400, "invalid_content_disposition"),
        disposition="evil; filename=x.txt",
    ),
    _upload(
        "disposition-only-separators",
        "text/plain",
        b"x",
        Refused(400, "invalid_content_disposition"),
        disposition=";;;",
    ),
    _upload(
        "disposition-with-crlf",
        "text/plain",
        b"x",
        Sanitised("a b.txt"),
        patch_event=_header("Content-Disposition", 'attachment; filename="a\r\nb.txt"'),
        handler_only=NOT_OVER_HTTP_NEWLINE,
    ),
    # --- listing parameters and cursors --------------------------------------------------------
    _listing("huge-limit", (("limit", "1" + "0" * 30),), "invalid_limit"),
    _listing("negative-limit", (("limit", "-5"),), "invalid_limit"),
    _listing("non-numeric-limit", (("limit", "ten"),), "invalid_limit"),
    _listing("fullwidth-digit-limit", (("limit", "\uff11\uff10"),), "invalid_limit"),
    _listing("exponent-limit", (("limit", "1e2"),), "invalid_limit"),
    _listing("zero-limit", (("limit", "0"),), "invalid_limit"),
    _listing("forged-cursor-wrong-length", (("cursor", "AAAA"),), "invalid_cursor"),
    _listing("forged-cursor-id-only", (("cursor", "A" * 22),), "invalid_cursor"),
    _listing(
        "forged-cursor-non-canonical", (("cursor", "A" * (_CURSOR_CHARACTERS - 1) + "B"),), "invalid_cursor"
    ),
    _listing(
        "forged-cursor-padded",
        (("cursor", base64.urlsafe_b64encode(bytes(28)).decode()),),
        "invalid_cursor",
    ),
    _listing("forged-cursor-wrong-tag", (("cursor", "A" * _CURSOR_CHARACTERS),), "invalid_cursor"),
    _listing("forged-cursor-standard-alphabet", (("cursor", "+" * _CURSOR_CHARACTERS),), "invalid_cursor"),
    _listing("unknown-order", (("order", "random"),), "invalid_query_parameter"),
    _listing("upper-case-order", (("order", "NEWEST"),), "invalid_query_parameter"),
    _listing("content-type-not-supported", (("contentType", "application/zip"),), "invalid_query_parameter"),
    _listing(
        "content-type-with-parameters",
        (("contentType", "text/plain; charset=utf-8"),),
        "invalid_query_parameter",
    ),
    _listing("content-type-wildcard", (("contentType", "*/*"),), "invalid_query_parameter"),
    _listing("empty-name-prefix", (("q", ""),), "invalid_query_parameter"),
    _listing("name-prefix-with-control-character", (("q", "re\x01port"),), "invalid_query_parameter"),
    _listing("name-prefix-with-del", (("q", "re\x7fport"),), "invalid_query_parameter"),
    _listing("name-prefix-too-long", (("q", "r" * 256),), "invalid_query_parameter"),
    _listing("repeated-name-prefix", (("q", "a"), ("q", "b")), "invalid_query_parameter"),
    _listing("cursor-with-traversal", (("cursor", "..%2F..%2F..%2F..%2F..%2F"),), "invalid_cursor"),
    _listing("repeated-cursor", (("cursor", "A" * 22), ("cursor", "B" * 22)), "invalid_query_parameter"),
    _listing("prefix-parameter", (("prefix", "documents/"),), "invalid_query_parameter"),
    # --- Idempotency-Key (a refused request never uses up its key: no record is written) ----------
    Case(
        "idempotency-key-with-space",
        "POST",
        "/documents",
        Refused(400, "invalid_idempotency_key"),
        headers=(("Content-Type", "text/plain"), ("Idempotency-Key", "two words")),
        body=b"hello",
    ),
    Case(
        "idempotency-key-too-long",
        "POST",
        "/documents",
        Refused(400, "invalid_idempotency_key"),
        headers=(("Content-Type", "text/plain"), ("Idempotency-Key", "k" * 256)),
        body=b"hello",
    ),
    _upload(
        "idempotency-key-non-ascii",
        "text/plain",
        b"hello",
        Refused(400, "invalid_idempotency_key"),
        patch_event=_header("Idempotency-Key", "cl\u00e9-\u043a\u043b\u044e\u0447"),
        handler_only=NOT_OVER_HTTP_NON_ASCII,
    ),
    _upload(
        "idempotency-key-with-newline",
        "text/plain",
        b"hello",
        Refused(400, "invalid_idempotency_key"),
        patch_event=_header("Idempotency-Key", "a\r\nb"),
        handler_only=NOT_OVER_HTTP_NEWLINE,
    ),
    Case(
        "idempotency-key-on-an-empty-body",
        "POST",
        "/documents",
        Refused(400, "empty_body"),
        headers=(("Content-Type", "text/plain"), ("Idempotency-Key", "valid-key-1")),
    ),
    Case(
        "idempotency-key-on-a-mismatched-type",
        "POST",
        "/documents",
        Refused(415, "content_type_mismatch"),
        headers=(("Content-Type", "application/pdf"), ("Idempotency-Key", "valid-key-2")),
        body=b"\x89PNG\r\n\x1a\n" + bytes(32),
    ),
    # --- methods -------------------------------------------------------------------------------
    Case("put-documents", "PUT", "/documents", Refused(405, "method_not_allowed"), over_http=_GATEWAY_403),
    Case(
        "patch-document",
        "PATCH",
        f"/documents/{VALID_ID}",
        Refused(405, "method_not_allowed"),
        over_http=_GATEWAY_403,
    ),
    Case(
        "post-to-a-document",
        "POST",
        f"/documents/{VALID_ID}",
        Refused(405, "method_not_allowed"),
        over_http=_GATEWAY_403,
    ),
    Case(
        "delete-content",
        "DELETE",
        f"/documents/{VALID_ID}/content",
        Refused(405, "method_not_allowed"),
        over_http=_GATEWAY_403,
    ),
    Case(
        "delete-collection",
        "DELETE",
        "/documents",
        Refused(405, "method_not_allowed"),
        over_http=_GATEWAY_403,
    ),
    # --- identity (handler only) ---------------------------------------------------------------
    _upload(
        "upload-without-identity",
        "text/plain",
        b"hello",
        Refused(403, "missing_identity"),
        patch_event=_without_identity,
        handler_only=NOT_OVER_HTTP_IDENTITY,
    ),
    _get(
        "list-without-identity",
        "/documents",
        Refused(403, "missing_identity"),
        patch_event=_without_identity,
        handler_only=NOT_OVER_HTTP_IDENTITY,
    ),
    _upload(
        "identity-only-in-headers",
        "text/plain",
        b"hello",
        Refused(403, "missing_identity"),
        patch_event=_identity_only_in_headers,
        handler_only=NOT_OVER_HTTP_IDENTITY,
    ),
    _upload(
        "wildcard-principal",
        "text/plain",
        b"hello",
        Refused(403, "missing_identity"),
        patch_event=_wildcard_principal,
        handler_only=NOT_OVER_HTTP_IDENTITY,
    ),
    _upload(
        "principal-outside-the-aws-partitions",
        "text/plain",
        b"hello",
        Refused(403, "missing_identity"),
        patch_event=_principal("arn:aws-evil:iam::111122223333:user/mallory"),
        handler_only=NOT_OVER_HTTP_IDENTITY,
    ),
    _get(
        "principal-longer-than-iam-allows",
        "/documents",
        Refused(403, "missing_identity"),
        patch_event=_principal("arn:aws:sts::111122223333:assumed-role/Writer/" + "s" * 65),
        handler_only=NOT_OVER_HTTP_IDENTITY,
    ),
    _get(
        "principal-of-a-megabyte",
        "/documents",
        Refused(403, "missing_identity"),
        patch_event=_principal("arn:aws:iam::111122223333:user/" + "m" * 1_000_000),
        handler_only=NOT_OVER_HTTP_IDENTITY,
    ),
)
"""Every hostile case; names are unique (they are the test ids)."""

V2_ONLY_CASES: tuple[Case, ...] = (
    _upload(
        "v2-identity-in-the-v1-place",
        "text/plain",
        b"hello",
        Refused(403, "missing_identity"),
        patch_event=_identity_in_the_wrong_place_for_v2,
        handler_only="function-URL (v2) events exist only at the handler",
    ),
)
"""Cases that only mean something for function-URL (payload v2) events."""
