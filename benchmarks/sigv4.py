"""SigV4 verification overhead in local mode: the same requests through the adapter, signed and
verified versus unsigned with verification off, in one run.

The handler is the real one (``Application``) over an in-memory store (``benchmarks.fakes``), so the
comparison is the whole local request path (WSGI, API Gateway rules, event, handler, response) with
and without botocore's canonicalisation and the HMAC chain. Each request is signed once up front and
replayed (a signature stays valid for 5 minutes): the client's signing is not the server's cost. The
verification-off adapter exists for this baseline only (``ApiGatewayAdapter.unverified_principal``,
set in code, never by a setting). Goal: signed and verified costs under 1.10x the baseline. Also
reported: the same signed requests with verification off, which separates the verification itself
from the cost of carrying the signature's headers into the event.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import TYPE_CHECKING, Any

from werkzeug.test import Client

from benchmarks._timing import Result, best_of_interleaved
from benchmarks.fakes import MemoryCatalogue, MemoryStore
from local_mode.adapter import ApiGatewayAdapter
from local_mode.events import DEFAULT_REGION
from local_mode.principals import new_user
from local_mode.signing import credentials_of, sign
from local_mode.sigv4 import SigV4Verifier

if TYPE_CHECKING:
    from collections.abc import Callable

GOAL = 1.10
HOST = "localhost"


def _request(
    client: Client, method: str, path: str, *, body: bytes, headers: dict[str, str]
) -> Callable[[], Any]:
    def send() -> Any:
        response = client.open(path, method=method, data=body, headers=headers)
        if response.status_code >= 400:
            raise RuntimeError(
                f"{method} {path} answered {response.status_code}: {response.get_data()[:200]!r}"
            )
        return response

    return send


def run(*, number: int = 300, repeat: int = 9) -> Result:
    """Serve the same request mix through a verifying and a non-verifying adapter; compare times."""
    from document_processor.documents import DocumentService
    from document_processor.handler import Application
    from document_processor.settings import load_settings

    settings = load_settings({"DOCUMENTS_BUCKET": "benchmark", "CATALOGUE_TABLE": "benchmark"})
    service = DocumentService(
        MemoryStore(),  # type: ignore[arg-type]
        MemoryCatalogue(),  # type: ignore[arg-type]
        allowed_content_types=settings.allowed_content_types,
    )
    null = open(os.devnull, "w")  # noqa: SIM115, PTH123 - the handler's log stream, closed below

    def write(line: str) -> None:
        null.write(line + "\n")

    application = Application(settings, service, request_log_sink=write)
    principal = new_user("sigv4-benchmark")
    verifier = SigV4Verifier({principal.access_key_id: principal}, region=DEFAULT_REGION)
    verified = Client(ApiGatewayAdapter(application.handle, verifier))
    unverified = Client(ApiGatewayAdapter(application.handle, verifier, unverified_principal=principal))

    def signed(method: str, path: str, body: bytes, headers: dict[str, str]) -> dict[str, str]:
        all_headers = {"Host": HOST, **headers}
        url = f"http://{HOST}{path}"
        signature = sign(
            credentials_of(principal), DEFAULT_REGION, method=method, url=url, headers=all_headers, body=body
        )
        return all_headers | signature

    text = {"Content-Type": "text/plain"}
    created = verified.post(
        "/documents",
        data=b"benchmark document",
        headers=signed("POST", "/documents", b"benchmark document", text),
    )
    document_id = json.loads(created.get_data())["id"]
    mix = [
        ("GET", "/health", b"", {}),
        ("GET", f"/documents/{document_id}", b"", {}),
        ("GET", "/documents?limit=10", b"", {}),
        ("GET", f"/documents/{document_id}/content", b"", {}),
        ("POST", "/documents", b"benchmark document", text),
    ]
    signed_mix = [_request(verified, m, p, body=b, headers=signed(m, p, b, h)) for m, p, b, h in mix]
    plain_mix = [_request(unverified, m, p, body=b, headers={"Host": HOST, **h}) for m, p, b, h in mix]
    # The same signed requests with verification off: what verifying costs, apart from carrying the
    # signature's headers through the adapter and into the event.
    carried_mix = [_request(unverified, m, p, body=b, headers=signed(m, p, b, h)) for m, p, b, h in mix]

    with contextlib.redirect_stdout(null):
        signed_seconds, plain_seconds = best_of_interleaved(
            lambda: [send() for send in signed_mix],
            lambda: [send() for send in plain_mix],
            repeat=repeat,
            number=number // len(mix),
        )
        verified_seconds, carried_seconds = best_of_interleaved(
            lambda: [send() for send in signed_mix],
            lambda: [send() for send in carried_mix],
            repeat=repeat,
            number=number // len(mix),
        )
    null.close()
    ratio = signed_seconds / plain_seconds
    per_request_us = (signed_seconds - plain_seconds) / len(mix) * 1e6
    return Result(
        name="SigV4 verification in local mode (signed+verified / unsigned, verification off)",
        ratio=ratio,
        goal=f"< {GOAL}x",
        met=ratio < GOAL,
        details=[
            f"{plain_seconds / len(mix) * 1e6:,.0f} us/request unsigned, "
            f"{signed_seconds / len(mix) * 1e6:,.0f} us/request verified (+{per_request_us:,.0f} us); "
            f"mix: health, get, list, download, upload; best of {repeat}, in process through the adapter",
            f"verification alone (the same signed requests, verification off): "
            f"ratio {verified_seconds / carried_seconds:.3f}, "
            f"+{(verified_seconds - carried_seconds) / len(mix) * 1e6:,.0f} us/request",
        ],
    )


if __name__ == "__main__":
    from benchmarks.__main__ import BENCHMARK_ENVIRONMENT

    for name, value in BENCHMARK_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    print(run().report())
