"""Start local mode: the AWS emulator, the functions' environment, the event pumps and the HTTP server.

Order matters: the handler, the reconciler and the ingest processor read their settings once at import,
so the environment (bucket and table names, emulator endpoints, fake credentials, region) is in place
before ``document_processor.handler``, ``document_processor.reconciler`` and
``document_processor.processor`` are imported. They then reach moto only through
``AWS_ENDPOINT_URL_S3`` and ``AWS_ENDPOINT_URL_DYNAMODB``, variables every AWS SDK honours, so they run
unchanged; the presigned part and download URLs the API hands out point at the emulator for the same
reason (``presign.create_presigning_client`` signs for ``AWS_ENDPOINT_URL_S3``, path style).

With ``LOCAL_MALWARE_SCAN=1`` both functions get ``MALWARE_SCANNING=on`` and two more pumps run: the
emulated GuardDuty scanner on the ingest bucket's events, and the processor on the scanner's result
events (``local_mode.scanner``); without it ``MALWARE_SCANNING=off``, whatever the shell says, as a
gate with no scanner behind it would leave every upload ``scanning``.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
from typing import TYPE_CHECKING, Any, TextIO

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from document_processor.malware_scan import SCAN_STATUS_TAG, ScanResult
from document_processor.settings import ENV_MALWARE_SCANNING
from local_mode.adapter import RAW_HEADERS_ENVIRON_KEY, ApiGatewayAdapter, LambdaHandler
from local_mode.config import MALWARE_SCAN_VARIABLE
from local_mode.emulator import FAKE_CREDENTIALS, LOOPBACK, S3Emulator
from local_mode.errors import LocalModeError
from local_mode.event_pump import PROCESSOR_FUNCTION_NAME, PROCESSOR_TIMEOUT_SECONDS, EventPump
from local_mode.events import EventOptions
from local_mode.principals import principals_from_environment
from local_mode.scanner import EICAR_THREAT_NAME, SCANNER_FUNCTION_NAME, MalwareScanner
from local_mode.sigv4 import SERVICE, SigV4Verifier

if TYPE_CHECKING:
    from collections.abc import Callable, MutableMapping
    from pathlib import Path
    from types import FrameType

    from _typeshed.wsgi import WSGIEnvironment

    from local_mode.config import LocalModeConfig
    from local_mode.principals import Principal

HANDLER_MODULE = "document_processor.handler"
HANDLER_NAME = "lambda_handler"
RECONCILER_MODULE = "document_processor.reconciler"
PROCESSOR_MODULE = "document_processor.processor"
WERKZEUG_LOGGER = "werkzeug"
# Variables that would make boto3 look for real credentials instead of the fake ones.
CREDENTIAL_VARIABLES_TO_CLEAR = (
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL",
)


class RawHeadersRequestHandler(WSGIRequestHandler):
    """werkzeug's handler, also passing headers exactly as received (spelling and repeats).

    The WSGI environ folds repeated headers into one comma-joined value and upper-cases names;
    API Gateway keeps both, so the adapter needs the raw list to build ``multiValueHeaders``.
    """

    def make_environ(self) -> WSGIEnvironment:
        environ = super().make_environ()
        environ[RAW_HEADERS_ENVIRON_KEY] = list(self.headers.items())
        return environ

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """One access-log line per API request on stderr (werkzeug's own log is silenced, see ``serve``)."""
        print(f'{self.address_string()} "{self.requestline}" {code}', file=sys.stderr, flush=True)


def handler_environment(emulator: S3Emulator) -> dict[str, str]:
    """The Lambda environment the functions see locally (what the infrastructure sets when deployed).

    One process environment serves the API, the reconciler and the processor, so it is the union of
    theirs (``INGEST_BUCKET`` and ``MALWARE_SCANNING`` are in both the API's and the processor's, as the
    stack sets them); service settings such as ``MAX_DOCUMENT_BYTES`` and ``MAX_UPLOAD_BYTES`` are not
    set here, so the user's values reach all three.
    """
    return {
        "DOCUMENTS_BUCKET": emulator.bucket,
        "CATALOGUE_TABLE": emulator.catalogue_table,
        "INGEST_BUCKET": emulator.ingest_bucket,
        ENV_MALWARE_SCANNING: "on" if emulator.malware_scan else "off",
        "AWS_ENDPOINT_URL_S3": emulator.endpoint_url,
        "AWS_ENDPOINT_URL_DYNAMODB": emulator.endpoint_url,
        "AWS_REGION": emulator.region,
        "AWS_DEFAULT_REGION": emulator.region,
        "POWERTOOLS_SERVICE_NAME": "document-api",
        **FAKE_CREDENTIALS,
    }


def prepare_environment(environ: MutableMapping[str, str], emulator: S3Emulator) -> None:
    """Point ``environ`` at the emulator; the user's service settings (``MAX_DOCUMENT_BYTES``,
    ``MAX_UPLOAD_BYTES``...) stay."""
    for name in CREDENTIAL_VARIABLES_TO_CLEAR:
        environ.pop(name, None)
    environ.update(handler_environment(emulator))


def malware_scan_pumps(emulator: S3Emulator, processor: LambdaHandler) -> list[EventPump]:
    """The emulated GuardDuty's two pumps: the scanner on the ingest bucket's events, and ``processor``
    (the very handler the S3 events reach) on the scanner's result events, as the EventBridge rule
    invokes it when deployed."""
    scanner = MalwareScanner(
        emulator.client(), emulator.sqs_client(), emulator.scan_results_queue_url, emulator.region
    )
    return [
        EventPump(
            emulator.sqs_client(),
            emulator.scan_requests_queue_url,
            scanner.handle,
            function_name=SCANNER_FUNCTION_NAME,
            label="the emulated malware scanner",
        ),
        EventPump(
            emulator.sqs_client(),
            emulator.scan_results_queue_url,
            processor,
            function_name=PROCESSOR_FUNCTION_NAME,
            label="the processor",
            events="malware scan results",
            timeout_seconds=PROCESSOR_TIMEOUT_SECONDS,
        ),
    ]


def load_handler(module_name: str = HANDLER_MODULE) -> LambdaHandler:
    """Import a real Lambda handler (after the environment is prepared): the API's, the reconciler's or
    the processor's."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise
        raise LocalModeError(
            f"{module_name} does not exist yet; local mode runs {module_name}.{HANDLER_NAME}"
        ) from error
    handler: Callable[[dict[str, Any], Any], Any] = getattr(module, HANDLER_NAME)
    return handler


def banner(
    url: str, emulator: S3Emulator, *, principals_file: Path, principals: list[Principal], created: bool
) -> str:
    """What to print at start-up: where the API is, who may sign, and requests that work as written."""
    origin = "created with fresh random keys" if created else "loaded"
    sigv4 = (
        f'--aws-sigv4 "aws:amz:{emulator.region}:{SERVICE}" '
        '--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"'
    )
    lines = [
        f"Local mode: serving the API on {url}",
        f"AWS emulator (moto, S3 + DynamoDB + SQS): {emulator.endpoint_url}, bucket {emulator.bucket!r}, "
        f"catalogue table {emulator.catalogue_table!r} "
        "(in memory: documents and their catalogue live until this process stops)",
        f"S3 events: queue {emulator.events_queue!r} -> {RECONCILER_MODULE}.{HANDLER_NAME} "
        "(the catalogue reconciler, as S3 invokes it when deployed)",
        f"Large uploads: ingest bucket {emulator.ingest_bucket!r}; its events: queue "
        f"{emulator.ingest_events_queue!r} -> {PROCESSOR_MODULE}.{HANDLER_NAME} (the ingest processor: "
        "validates, then copies into the vault). Part and download URLs point at the emulator, which "
        "does NOT verify presigned signatures or part checksums (AWS does); the API still verifies SigV4.",
        *malware_scan_lines(emulator),
        f"Requests must be SigV4-signed (service {SERVICE}, region {emulator.region}), as when deployed.",
        f"Principals ({origin}: {principals_file}); paste one line to sign as that principal:",
    ]
    for principal in principals:
        lines += [f"  # {principal.arn}", f"  {principal.export_line()}"]
    lines += [
        'Try (temporary credentials also need: -H "X-Amz-Security-Token: $AWS_SESSION_TOKEN"):',
        f"  curl -sS {sigv4} {url}/health",
        f"  curl -sS {sigv4} -H 'Content-Type: text/plain' --data-binary 'hello' {url}/documents",
        f"  curl -sS {sigv4} {url}/documents",
        f"  curl -sS {sigv4} {url}/uploads   # large uploads: walkthrough in docs/local-mode.md",
        "Or with the docapi command (signs, uploads in parts, verifies downloads; docs/client.md):",
        f"  export DOCAPI_ENDPOINT={url}",
        "  .venv/bin/docapi upload FILE... --wait && .venv/bin/docapi ls",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def malware_scan_lines(emulator: S3Emulator) -> list[str]:
    """The banner's account of the malware gate: off, or on with exactly what the emulation does not do."""
    if not emulator.malware_scan:
        return [
            f"Malware scanning: off (the default, as in the dev stack; {MALWARE_SCAN_VARIABLE}=1 make run "
            "turns on an emulated scanner that flags the EICAR test file only)."
        ]
    return [
        f"Malware scanning: ON ({MALWARE_SCAN_VARIABLE}=1: both functions run with "
        f"{ENV_MALWARE_SCANNING}=on). The ingest bucket's events also go to queue "
        f"{emulator.scan_requests_queue!r} -> an EMULATED GuardDuty scanner that flags the standard EICAR "
        f"test file ({EICAR_THREAT_NAME}) and NOTHING else: every other object is "
        f"{ScanResult.NO_THREATS_FOUND}, whatever it holds. It tags each object {SCAN_STATUS_TAG}=<result> "
        "and sends GuardDuty's "
        f"scan-result event to queue {emulator.scan_results_queue!r} -> {PROCESSOR_MODULE}.{HANDLER_NAME}, "
        f"which stores only {ScanResult.NO_THREATS_FOUND}; POST /documents answers 202 with an upload "
        "session. moto enforces no bucket policy, so the tag-based read deny is NOT enforced locally: the "
        "processor's own tag check is what holds the line.",
    ]


class _Stop(Exception):
    """Raised from the SIGTERM handler to unwind ``serve_forever`` like Ctrl-C does."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signum)


def serve(config: LocalModeConfig, *, out: TextIO = sys.stdout) -> None:
    """Run local mode until Ctrl-C or SIGTERM, then stop both servers and the event pumps."""
    # Both servers are werkzeug servers sharing this logger: silence it, so the emulator's S3 traffic
    # does not drown the API's access log (``RawHeadersRequestHandler.log_request``).
    logging.getLogger(WERKZEUG_LOGGER).setLevel(logging.ERROR)
    principals_file, principals, created = principals_from_environment(config.environ, config.cwd)
    emulator = S3Emulator(malware_scan=config.malware_scan)
    emulator.start()
    server: BaseWSGIServer | None = None
    pumps: list[EventPump] = []
    try:
        prepare_environment(os.environ, emulator)
        pumps.append(
            EventPump(emulator.sqs_client(), emulator.events_queue_url, load_handler(RECONCILER_MODULE))
        )
        processor = load_handler(PROCESSOR_MODULE)
        pumps.append(
            EventPump(
                emulator.sqs_client(),
                emulator.ingest_events_queue_url,
                processor,
                function_name=PROCESSOR_FUNCTION_NAME,
                label="the processor",
                timeout_seconds=PROCESSOR_TIMEOUT_SECONDS,
            )
        )
        if emulator.malware_scan:
            pumps += malware_scan_pumps(emulator, processor)
        for pump in pumps:
            pump.start()
        adapter = ApiGatewayAdapter(
            load_handler(),
            SigV4Verifier(principals, region=emulator.region),
            options=EventOptions(region=emulator.region),
        )
        try:
            server = make_server(
                LOOPBACK, config.port, adapter, threaded=True, request_handler=RawHeadersRequestHandler
            )
        except (OSError, SystemExit) as error:
            # werkzeug reports a port in use itself and exits; turn both forms into our error.
            raise LocalModeError(
                f"cannot listen on {LOOPBACK}:{config.port}; set PORT to a free port (or PORT=0 for any)"
            ) from error
        url = f"http://{LOOPBACK}:{server.server_port}"
        text = banner(
            url,
            emulator,
            principals_file=principals_file,
            principals=list(principals.values()),
            created=created,
        )
        print(text, file=out, flush=True)
        previous = signal.signal(signal.SIGTERM, _raise_stop)
        try:
            server.serve_forever()  # werkzeug's loop returns on Ctrl-C (it handles KeyboardInterrupt)
        except (KeyboardInterrupt, _Stop):
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
        print("Local mode: stopping.", file=out, flush=True)
    finally:
        if server is not None:
            server.server_close()
        for pump in pumps:
            pump.stop()
        emulator.stop()
