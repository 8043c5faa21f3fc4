"""Warm-path overhead: requests per second through the handler (S3 and the catalogue replaced by
in-memory stand-ins)
versus an AWS Lambda Powertools ``APIGatewayRestResolver`` app serving the same routes with the same
domain code. Only the HTTP layer differs: event parsing, routing, identity, validation, responses.

The handler writes its JSON access/metrics line per request (to a null stream, as real work: the JSON
is built and encoded); the Powertools app logs nothing, so the comparison is conservative.
Goal: the handler is faster (ratio > 1).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
from typing import Any

from benchmarks._timing import Result, best_of_interleaved
from benchmarks.fakes import MemoryCatalogue, MemoryStore

ALICE = "arn:aws:sts::111122223333:assumed-role/DocumentWriter/alice"
GOAL = 1.0


def _event(
    method: str,
    path: str,
    resource: str,
    *,
    query: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {"Accept": "application/json", "Host": "api.example.com"},
        "multiValueHeaders": {"Accept": ["application/json"], "Host": ["api.example.com"]},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": path_parameters,
        "requestContext": {
            "requestId": "bench-request",
            "path": f"/dev{path}",
            "stage": "dev",
            "httpMethod": method,
            "resourcePath": resource,
            "identity": {"userArn": ALICE, "accountId": "111122223333"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


def _powertools_app(service: Any, max_bytes: int) -> Any:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver
    from aws_lambda_powertools.event_handler import Response as PtResponse

    from document_processor.errors import ServiceError
    from document_processor.events import parse_event
    from document_processor.identity import caller_from_request
    from document_processor.validation import decode_body, encode_cursor, list_parameters, require_document_id

    app = APIGatewayRestResolver()

    def caller() -> Any:
        request = parse_event(app.current_event.raw_event, fallback_request_id="")
        return request, caller_from_request(request)

    @app.exception_handler(ServiceError)  # type: ignore[untyped-decorator]
    def service_error(error: ServiceError) -> PtResponse[str]:
        body = {"error": {"code": str(error.code), "message": error.message, "requestId": ""}}
        return PtResponse(status_code=error.status, content_type="application/json", body=json.dumps(body))

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/documents")
    def list_documents() -> dict[str, Any]:
        request, who = caller()
        listing = list_parameters(request.query, owner_key=who.owner_key)
        items, last = service.list_page(who, listing)
        return {"items": items, "nextCursor": encode_cursor(last, listing.binding) if last else None}

    @app.post("/documents")
    def upload() -> PtResponse[str]:
        request, who = caller()
        data = decode_body(request, max_bytes=max_bytes)
        prepared = service.prepare_upload(
            data,
            content_type_header=request.headers.get("content-type"),
            content_disposition_header=request.headers.get("content-disposition"),
        )
        outcome = service.store(who, prepared)
        return PtResponse(
            status_code=201,
            content_type="application/json",
            body=json.dumps(outcome.body),
            headers={"Location": f"/documents/{outcome.body['id']}"},
        )

    @app.get("/documents/<id>")
    def get_document(id: str) -> dict[str, Any]:
        _, who = caller()
        return dict(service.get(who, require_document_id(id)).to_json())

    @app.delete("/documents/<id>")
    def delete_document(id: str) -> PtResponse[str]:
        _, who = caller()
        service.delete(who, require_document_id(id))
        return PtResponse(status_code=204, body="")

    @app.get("/documents/<id>/content")
    def download(id: str) -> PtResponse[bytes]:
        _, who = caller()
        found = service.download(who, require_document_id(id))
        return PtResponse(
            status_code=200, content_type=found.content_type, body=found.body, headers={"ETag": found.etag}
        )

    return app


def run(*, number: int = 1000, repeat: int = 9) -> Result:
    """Serve the same request mix through both apps and compare requests per second."""
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

    ours = Application(settings, service, request_log_sink=write)
    theirs = _powertools_app(service, settings.max_document_bytes)

    upload_event = _event("POST", "/documents", "/documents")
    upload_event["headers"]["Content-Type"] = "text/plain"
    upload_event["body"] = base64.b64encode(b"benchmark document").decode()
    upload_event["isBase64Encoded"] = True
    created = json.loads(ours.handle(upload_event, None)["body"])["id"]
    for _ in range(30):
        ours.handle(upload_event, None)

    mix = [
        _event("GET", "/health", "/health"),
        _event("GET", f"/documents/{created}", "/documents/{id}", path_parameters={"id": created}),
        _event("GET", "/documents", "/documents", query={"limit": "10"}),
        _event(
            "GET", f"/documents/{created}/content", "/documents/{id}/content", path_parameters={"id": created}
        ),
        _event("GET", "/nope", "/{proxy+}"),
    ]
    for event in mix:
        ours_status, theirs_status = (
            ours.handle(event, None)["statusCode"],
            theirs.resolve(event, None)["statusCode"],
        )
        if ours_status != theirs_status:
            raise RuntimeError(f"the two apps disagree on {event['path']}: {ours_status} != {theirs_status}")

    with contextlib.redirect_stdout(null):
        ours_seconds, theirs_seconds = best_of_interleaved(
            lambda: [ours.handle(event, None) for event in mix],
            lambda: [theirs.resolve(event, None) for event in mix],
            repeat=repeat,
            number=number,
        )
    null.close()
    ours_rps = len(mix) / ours_seconds
    theirs_rps = len(mix) / theirs_seconds
    ratio = ours_rps / theirs_rps
    return Result(
        name="warm overhead (requests/s, S3 and catalogue stubbed) vs Powertools APIGatewayRestResolver",
        ratio=ratio,
        goal=f"> {GOAL}x (faster than the Powertools app)",
        met=ratio > GOAL,
        details=[
            f"handler {ours_rps:,.0f} req/s, Powertools {theirs_rps:,.0f} req/s "
            f"(mix: health, get, list, download, unknown route; best of {repeat} x {number})",
        ],
    )
