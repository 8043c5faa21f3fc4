"""The Lambda entry point: ``document_processor.handler.lambda_handler``.

At import (once per execution environment) settings are read and logging is set up; the S3 and
DynamoDB clients are made by the first request that needs each. A configuration problem is logged
then, and every request except ``/health`` answers 500 ``configuration_error`` instead of the
function crash-looping. Per request: normalise the event, route
it through the single route table, run the operation, and render the result (or the one JSON error
shape) for the event's payload version. Module-level imports are what boto3 already loads: cold start
is measured (benchmarks/).
"""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from document_processor.catalogue import Catalogue, create_dynamodb_client
from document_processor.clients import LazyClient
from document_processor.documents import DocumentService, unbounded
from document_processor.errors import (
    BadRequestError,
    CatalogueError,
    CatalogueUnavailableError,
    ConfigurationError,
    ErrorCode,
    MethodNotAllowedError,
    NotFoundError,
    ServiceError,
    StorageError,
    StorageUnavailableError,
)
from document_processor.events import (
    DOWNLOAD_SECURITY_HEADERS,
    PAYLOAD_V1,
    Request,
    Response,
    json_response,
    parse_event,
    render_response,
)
from document_processor.filenames import content_disposition
from document_processor.idempotency import idempotent_request
from document_processor.identity import Caller, caller_from_request
from document_processor.observability import (
    REQUEST_FIELDS,
    REQUEST_LOG,
    RequestLog,
    configure_logging,
    write_line,
)
from document_processor.presign import create_presigning_client
from document_processor.routes import ROUTES, RouteMatch, match_path, path_agrees, routes_for_path
from document_processor.settings import Settings, load_settings
from document_processor.snapstart import renew_after_restore
from document_processor.storage import DocumentStore, create_s3_client
from document_processor.upload_service import (
    NOT_CONFIGURED_MESSAGE,
    UploadService,
    create_completion_client,
    scanned_document_request,
)
from document_processor.validation import (
    decode_body,
    download_redirect,
    encode_cursor,
    idempotency_key,
    json_body,
    list_parameters,
    require_document_id,
    require_upload_id,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

    from document_processor.documents import Upload
    from document_processor.identity import Caller

    Operation = Callable[[Request, dict[str, str], RequestLog], Response]

LOGGER = logging.getLogger("document_processor.handler")
TIME_LEFT: ContextVar[Callable[[], float]] = ContextVar("time_left", default=unbounded)
"""The current invocation's clock: seconds until Lambda stops it."""
INTERNAL_ERROR_MESSAGE = "An internal error occurred."
REPLAYED_HEADER = "Idempotent-Replayed"
"""Set (``true``) on a 201 that answers with an earlier request's document under the same Idempotency-Key."""


class Application:
    """The HTTP layer around ``DocumentService`` and ``UploadService``: routing, identity, inputs,
    responses, logs, metrics."""

    def __init__(
        self,
        settings: Settings,
        service: DocumentService | None,
        *,
        uploads: UploadService | None = None,
        request_log_sink: Callable[[str], None] = write_line,
    ) -> None:
        self.settings = settings
        self.service = service
        self.uploads = uploads
        """``None`` without an ingest bucket (``/uploads`` answers 500 ``configuration_error`` then)."""
        self._request_log_sink = request_log_sink
        self._log_level = logging.getLevelNamesMapping()[settings.log_level]
        self.operations: dict[str, Operation] = {
            "health": self._health,
            "upload_document": self._upload,
            "list_documents": self._list,
            "get_document": self._get,
            "delete_document": self._delete,
            "download_document": self._download,
            "create_upload": self._create_upload,
            "list_uploads": self._list_uploads,
            "get_upload": self._get_upload,
            "abort_upload": self._abort_upload,
            "sign_upload_parts": self._sign_upload_parts,
            "complete_upload": self._complete_upload,
        }
        missing = {route.operation for route in ROUTES} - set(self.operations)
        if missing:
            raise RuntimeError(f"routes without an operation: {sorted(missing)!r}")

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        client: S3Client | None = None,
        dynamodb: DynamoDBClient | None = None,
        request_log_sink: Callable[[str], None] = write_line,
    ) -> Application:
        """Build the application; problems are logged here, once, and never raised.

        Clients are made on first use, each by the first request that needs it (``clients.py``); the
        module's own (``client``/``dynamodb`` not given, the presigning client of part and download URLs,
        and the long-read-timeout client of ``CompleteMultipartUpload``) are renewed by SnapStart after
        a restore.
        """
        service: DocumentService | None = None
        uploads: UploadService | None = None
        if settings.problems:
            LOGGER.error(
                "Configuration is invalid: only /health will be served",
                extra={"problems": list(settings.problems)},
            )
        elif settings.documents_bucket is not None and settings.catalogue_table is not None:
            s3 = LazyClient(create_s3_client, name="s3", client=client)
            catalogue_client = LazyClient(create_dynamodb_client, name="dynamodb", client=dynamodb)
            presigner = LazyClient(create_presigning_client, name="s3-presign")
            completer = LazyClient(create_completion_client, name="s3-complete")
            renewable = [
                slot for slot, given in ((s3, client), (catalogue_client, dynamodb)) if given is None
            ]
            renew_after_restore(*renewable, presigner, completer)
            catalogue = Catalogue(catalogue_client, settings.catalogue_table)
            service = DocumentService(
                DocumentStore(s3, settings.documents_bucket),
                catalogue,
                allowed_content_types=settings.allowed_content_types,
                presigner=presigner,
            )
            if settings.ingest_bucket is not None:
                uploads = UploadService(s3, presigner, catalogue, settings, completer=completer)
        return cls(settings, service, uploads=uploads, request_log_sink=request_log_sink)

    def handle(self, event: object, context: object) -> dict[str, Any]:
        """Serve one proxy event; always returns a well-formed proxy result and writes one access line."""
        started = time.perf_counter()
        lambda_request_id = str(getattr(context, "aws_request_id", "") or "")
        fields: dict[str, Any] = {"requestId": lambda_request_id, "lambdaRequestId": lambda_request_id}
        record = RequestLog(
            fields,
            namespace=self.settings.metrics_namespace,
            service_name=self.settings.service_name,
            log_level=self._log_level,
            sink=self._request_log_sink,
        )
        token, log_token = REQUEST_FIELDS.set(fields), REQUEST_LOG.set(record)
        time_token = TIME_LEFT.set(_time_left(context))
        payload_version, level = PAYLOAD_V1, logging.INFO
        try:
            try:
                request = parse_event(event, fallback_request_id=lambda_request_id)
                payload_version = request.payload_version
                fields.update(requestId=request.request_id, method=request.method)
                route, operation, parameters = self._route(request)
                fields["route"] = route
                response = operation(request, parameters, record)
            except ServiceError as error:
                level = self._count_error(error, record)
                response = _error_body(
                    error.status, error.code, error.message, fields["requestId"], headers=error.headers
                )
            except Exception:
                LOGGER.exception("Unhandled error")
                level = logging.ERROR
                fields["errorCode"] = str(ErrorCode.INTERNAL_ERROR)
                response = _error_body(
                    500, ErrorCode.INTERNAL_ERROR, INTERNAL_ERROR_MESSAGE, fields["requestId"]
                )
            fields.update(status=response.status, durationMs=round((time.perf_counter() - started) * 1000, 3))
            record.emit(level=level, message="Request completed")
        finally:
            TIME_LEFT.reset(time_token)
            REQUEST_LOG.reset(log_token)
            REQUEST_FIELDS.reset(token)
        return render_response(response, payload_version)

    @staticmethod
    def _count_error(error: ServiceError, record: RequestLog) -> int:
        """Record the error on the request's line; return the line's log level."""
        record.fields["errorCode"] = str(error.code)
        if error.status < 500:
            record.reject(error.code)
            return logging.INFO
        if isinstance(error, CatalogueError | CatalogueUnavailableError):
            record.add_metric("CatalogueErrors", 1)
        elif isinstance(error, StorageError | StorageUnavailableError):
            record.add_metric("S3Errors", 1)
        return logging.ERROR

    def _route(self, request: Request) -> tuple[str, Operation, dict[str, str]]:
        """Dispatch through the shared route table, so the handler serves exactly what the API declares.

        A REST (v1) event is dispatched on the route API Gateway matched and authorised (``resource`` and
        ``pathParameters``), never on a path re-parsed here; a ``path`` that names another route is a 400.
        Function-URL (v2) events carry no route, so they are matched by path.
        """
        match = match_path(request.path) if request.resource is None else _gateway_route(request)
        if match is None:
            raise NotFoundError("No such route.", code=ErrorCode.ROUTE_NOT_FOUND)
        route = match.routes_by_method.get(request.method)
        if route is None:
            raise MethodNotAllowedError(request.method, match.allowed_methods)
        return match.path, self.operations[route.operation], match.path_parameters

    def _authorised(self, request: Request) -> tuple[DocumentService, Caller]:
        """The service and the verified caller; only ``/health`` skips this, so it answers unconfigured."""
        if self.service is None:
            raise ConfigurationError("The service is not configured.")
        caller = caller_from_request(request, scope=self.settings.owner_scope)
        REQUEST_FIELDS.get()["caller"] = caller.principal
        return self.service, caller

    def _uploads_authorised(self, request: Request) -> tuple[UploadService, Caller]:
        """The upload service and the verified caller; a 500 when large uploads are not configured."""
        _, caller = self._authorised(request)
        if self.uploads is None:
            raise ConfigurationError(NOT_CONFIGURED_MESSAGE)
        return self.uploads, caller

    def _health(self, request: Request, parameters: dict[str, str], record: RequestLog) -> Response:
        return json_response(200, {"status": "ok"})

    def _upload(self, request: Request, parameters: dict[str, str], record: RequestLog) -> Response:
        service, caller = self._authorised(request)
        key = idempotency_key(request.headers.get("idempotency-key"))
        data = decode_body(request, max_bytes=self.settings.max_document_bytes)
        content_type = request.headers.get("content-type")
        disposition = request.headers.get("content-disposition")
        upload = service.prepare_upload(
            data, content_type_header=content_type, content_disposition_header=disposition
        )
        if self.settings.malware_scanning:
            return self._quarantine(request, record, caller, upload, key, content_type, disposition)
        idempotent = None
        if key is not None:
            idempotent = idempotent_request(
                key,
                content_type_header=content_type,
                content_disposition_header=disposition,
                body_sha256=upload.sha256,
            )
        outcome = service.store(caller, upload, idempotency=idempotent, time_left=TIME_LEFT.get())
        body = outcome.body
        headers = {"Location": f"{request.public_path.rstrip('/')}/{body['id']}"}
        if outcome.replayed:
            headers[REPLAYED_HEADER] = "true"
            record.add_metric("IdempotentReplays", 1)
        else:
            record.add_metric("DocumentsStored", 1)
            record.add_metric("BytesStored", body["size"], "Bytes")
        record.fields.update(documentId=body["id"], size=body["size"], contentType=body["contentType"])
        return json_response(201, body, headers=headers)

    def _quarantine(
        self,
        request: Request,
        record: RequestLog,
        caller: Caller,
        upload: Upload,
        key: str | None,
        content_type: str | None,
        disposition: str | None,
    ) -> Response:
        """``POST /documents`` behind the malware gate: the bytes go to quarantine, not the vault, and
        the answer is 202 with the upload session the processor moves on (``Location: /uploads/{id}``)."""
        if self.uploads is None:
            raise ConfigurationError(NOT_CONFIGURED_MESSAGE)
        idempotent = None
        if key is not None:
            idempotent = scanned_document_request(
                key,
                content_type_header=content_type,
                content_disposition_header=disposition,
                body_sha256=upload.sha256,
            )
        outcome = self.uploads.accept_document(
            caller, upload, idempotency=idempotent, time_left=TIME_LEFT.get()
        )
        body = outcome.body
        api_root = request.public_path.rstrip("/").rsplit("/", 1)[0]  # the stage, if any, before /documents
        headers = {"Location": f"{api_root}/uploads/{body['id']}"}
        if outcome.replayed:
            headers[REPLAYED_HEADER] = "true"
            record.add_metric("IdempotentReplays", 1)
        else:
            record.add_metric("DocumentsQuarantined", 1)
        record.fields.update(uploadId=body["id"], size=body["size"], contentType=body["contentType"])
        return json_response(202, body, headers=headers)

    def _list(self, request: Request, parameters: dict[str, str], record: RequestLog) -> Response:
        service, caller = self._authorised(request)
        listing = list_parameters(request.query, owner_key=caller.owner_key)
        items, last = service.list_page(caller, listing)
        cursor = encode_cursor(last, listing.binding) if last else None
        return json_response(200, {"items": items, "nextCursor": cursor})

    def _get(self, request: Request, parameters: dict[str, str], record: RequestLog) -> Response:
        service, caller = self._authorised(request)
        document = service.get(caller, require_document_id(parameters.get("id")))
        return json_response(200, document.to_json())

    def _delete(self, request: Request, parameters: dict[str, str], record: RequestLog) -> Response:
        service, caller = self._authorised(request)
        document_id = require_document_id(parameters.get("id"))
        service.delete(caller, document_id, time_left=TIME_LEFT.get())
        record.add_metric("DocumentsDeleted", 1)
        record.fields["documentId"] = document_id
        return Response(status=204, headers={})

    def _download(self, request: Request, parameters: dict[str, str], record: RequestLog) -> Response:
        service, caller = self._authorised(request)
        document_id = require_document_id(parameters.get("id"))
        redirect = download_redirect(request.query)
        download = service.download(
            caller, document_id, max_inline_bytes=self.settings.max_document_bytes, redirect=redirect
        )
        record.fields["documentId"] = document_id
        if download.body is None:
            record.add_metric("DownloadsRedirected", 1)
            return json_response(
                303,
                {"url": download.url, "expiresIn": download.expires_in},
                headers={"Location": str(download.url)},
            )
        headers = {
            "Content-Type": download.content_type,
            "Content-Disposition": content_disposition(download.document.filename),
            "ETag": download.etag,
            **DOWNLOAD_SECURITY_HEADERS,
        }
        return Response(status=200, headers=headers, body=download.body)

    def _create_upload(self, request: Request, parameters: dict[str, str], record: RequestLog) -> Response:
        uploads, caller = self._uploads_authorised(request)
        key = idempotency_key(request.headers.get("idempotency-key"))
        outcome = uploads.create(caller, json_body(request), idempotency_key=key, time_left=TIME_LEFT.get())
        body = outcome.body
        headers = {"Location": f"{request.public_path.rstrip('/')}/{body['id']}"}
        if outcome.replayed:
            headers[REPLAYED_HEADER] = "true"
            record.add_metric("IdempotentReplays", 1)
        else:
            record.add_metric("UploadsStarted", 1)
        record.fields.update(uploadId=body["id"], size=body["size"], contentType=body["contentType"])
        return json_response(201, body, headers=headers)

    def _list_uploads(self, request: Request, parameters: dict[str, str], record: RequestLog) -> Response:
        uploads, caller = self._uploads_authorised(request)
        return json_response(200, uploads.list_page(caller, request.query))

    def _get_upload(self, request: Request, parameters: dict[str, str], record: RequestLog) -> Response:
        uploads, caller = self._uploads_authorised(request)
        upload_id = require_upload_id(parameters.get("id"))
        record.fields["uploadId"] = upload_id
        return json_response(200, uploads.get(caller, upload_id, time_left=TIME_LEFT.get()))

    def _abort_upload(self, request: Request, parameters: dict[str, str], record: RequestLog) -> Response:
        uploads, caller = self._uploads_authorised(request)
        upload_id = require_upload_id(parameters.get("id"))
        record.fields["uploadId"] = upload_id
        uploads.abort(caller, upload_id, time_left=TIME_LEFT.get())
        record.add_metric("UploadsAborted", 1)
        return Response(status=204, headers={})

    def _sign_upload_parts(
        self, request: Request, parameters: dict[str, str], record: RequestLog
    ) -> Response:
        uploads, caller = self._uploads_authorised(request)
        upload_id = require_upload_id(parameters.get("id"))
        record.fields["uploadId"] = upload_id
        parts = uploads.sign_parts(caller, upload_id, json_body(request))
        record.add_metric("PartUrlsSigned", len(parts))
        return json_response(200, {"parts": parts})

    def _complete_upload(self, request: Request, parameters: dict[str, str], record: RequestLog) -> Response:
        uploads, caller = self._uploads_authorised(request)
        upload_id = require_upload_id(parameters.get("id"))
        record.fields["uploadId"] = upload_id
        body = uploads.complete(caller, upload_id, json_body(request), time_left=TIME_LEFT.get())
        record.add_metric("UploadsCompleted", 1)
        record.fields["uploadStatus"] = body["status"]
        return json_response(202, body)


def _time_left(context: object) -> Callable[[], float]:
    """Seconds until Lambda stops the invocation (unbounded for a context without the clock)."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining):
        return unbounded
    return lambda: float(remaining()) / 1000


def _gateway_route(request: Request) -> RouteMatch | None:
    """The declared route API Gateway matched for a REST event; ``None`` if the table has no such resource."""
    if not request.resource:
        raise BadRequestError("The event names no API Gateway resource.")
    routes = routes_for_path(request.resource)
    if not routes:
        return None
    if not path_agrees(request.resource, request.path_parameters, request.path):
        raise BadRequestError("The event's path does not match the route API Gateway matched.")
    return RouteMatch(
        path=request.resource, path_parameters=dict(request.path_parameters), routes_by_method=routes
    )


def _error_body(
    status: int, code: str, message: str, request_id: str, *, headers: dict[str, str] | None = None
) -> Response:
    return json_response(
        status, {"error": {"code": str(code), "message": message, "requestId": request_id}}, headers=headers
    )


SETTINGS = load_settings()
configure_logging(SETTINGS)
APP = Application.from_settings(SETTINGS)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """AWS Lambda entry point (REST payload v1 and function-URL payload v2 events)."""
    return APP.handle(event, context)
