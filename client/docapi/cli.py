"""``docapi``: the command line on ``DocumentClient`` (click for the commands, rich for the terminal).

Data goes to stdout (a table on a terminal, tab-separated lines when piped, JSON with ``--json``);
progress bars and messages go to stderr, and bars only when stderr is a terminal and ``--json`` is
off. Exit codes (``EXIT_CODES``): 0 ok, 1 other error, 2 usage or configuration, 3 authentication,
4 not found, 5 rejected (the document is not accepted), 6 network or service unavailable,
130 interrupted (rerun the same upload to resume it).
"""

from __future__ import annotations

import functools
import glob
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from docapi.errors import (
    ApiError,
    AuthError,
    ConfigurationError,
    DocapiError,
    InvalidArgumentError,
    NotFoundError,
    RejectedError,
    ServiceUnavailableError,
    TransportError,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from rich.console import Console

    from docapi.client import DocumentClient
    from docapi.models import UploadSession

EXIT_OK = 0
EXIT_OTHER = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_NOT_FOUND = 4
EXIT_REJECTED = 5
EXIT_UNAVAILABLE = 6
EXIT_INTERRUPTED = 130
EXIT_CODES: tuple[tuple[type[DocapiError], int], ...] = (
    (ConfigurationError, EXIT_USAGE),
    (InvalidArgumentError, EXIT_USAGE),
    (AuthError, EXIT_AUTH),
    (NotFoundError, EXIT_NOT_FOUND),
    (RejectedError, EXIT_REJECTED),
    (ServiceUnavailableError, EXIT_UNAVAILABLE),
    (TransportError, EXIT_UNAVAILABLE),
)
"""The first matching class gives the exit code; any other ``DocapiError`` is 1."""
CONTENT_TYPE_CHOICES = ("application/pdf", "image/png", "image/jpeg", "text/plain")

F = TypeVar("F", bound="Callable[..., Any]")


def exit_code_for(error: BaseException) -> int:
    """The documented exit code of an error."""
    if isinstance(error, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    for cls, code in EXIT_CODES:
        if isinstance(error, cls):
            return code
    return EXIT_OTHER


def error_json(error: BaseException) -> dict[str, Any]:
    """An error as ``--json`` prints it: ``{"error": {type, message, exitCode, status, code, requestId}}``.

    ``status``, ``code`` and ``requestId`` are ``null`` unless the service answered.
    """
    body: dict[str, Any] = {
        "type": type(error).__name__,
        "message": str(error),
        "exitCode": exit_code_for(error),
    }
    if isinstance(error, ApiError):
        body.update(
            status=error.status or None, code=error.code, message=error.message, requestId=error.request_id
        )
    return {"error": body}


class Context:
    """What every command shares: the options of ``docapi`` itself and, once needed, the client."""

    def __init__(self, **options: Any) -> None:
        self.options = options
        self._client: DocumentClient | None = None

    def client(self, *, concurrency: int | None = None) -> DocumentClient:
        """The client, built on first use (so ``--help`` needs no endpoint or credentials)."""
        if self._client is None:
            from docapi.client import DocumentClient
            from docapi.uploader import DEFAULT_CONCURRENCY

            self._client = DocumentClient(
                self.options["endpoint"],
                stack_outputs=self.options["stack_outputs"],
                profile=self.options["profile"],
                region=self.options["region"],
                concurrency=concurrency or DEFAULT_CONCURRENCY,
            )
        return self._client

    def close(self) -> None:
        """Close the client's connections."""
        if self._client is not None:
            self._client.close()


def stderr_console() -> Console:
    """Messages and progress: stderr only."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def emit_json(value: object) -> None:
    """One JSON document on stdout."""
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def handles_errors(function: F) -> F:
    """The SDK's errors: one message on stderr (JSON on stdout with ``--json``) and the exit code."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        context = click.get_current_context()
        try:
            return function(*args, **kwargs)
        except (DocapiError, KeyboardInterrupt) as error:
            report_error(error, as_json=bool(kwargs.get("as_json")))
            context.exit(exit_code_for(error))
        except OSError as error:  # a file that cannot be read or written: the user's to fix (exit 2)
            failure = file_error(error)
            report_error(failure, as_json=bool(kwargs.get("as_json")))
            context.exit(exit_code_for(failure))

    return wrapper  # type: ignore[return-value]  # functools.wraps keeps the signature


def file_error(error: OSError) -> InvalidArgumentError:
    """A local file problem (unreadable, vanished, a full or read-only disk) as a usage error."""
    where = f"{error.filename}: " if error.filename else ""
    return InvalidArgumentError(f"{where}{error.strerror or error}")


def report_error(error: BaseException, *, as_json: bool) -> None:
    """``docapi: <what failed>`` on stderr, with what to do where there is something to do."""
    if as_json:
        emit_json(error_json(error))
    if isinstance(error, KeyboardInterrupt):
        message = "interrupted; run the same upload again to resume it"
    elif isinstance(error, AuthError):
        message = f"{error} -- check your AWS credentials (profile, SSO login, local mode's banner)"
    else:
        message = str(error)
    stderr_console().print(f"[bold red]docapi:[/] {message}", markup=True, soft_wrap=True)


json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON (stable field names) on stdout."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--endpoint", envvar="DOCAPI_ENDPOINT", help="API base URL (env DOCAPI_ENDPOINT).")
@click.option(
    "--stack-outputs",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="DOCAPI_STACK_OUTPUTS",
    help="`pulumi stack output --json` file whose apiUrl is the endpoint (env DOCAPI_STACK_OUTPUTS).",
)
@click.option("--profile", envvar="AWS_PROFILE", help="AWS profile (standard credential chain otherwise).")
@click.option(
    "--region",
    help="Signing region (default: from the endpoint; local mode's on loopback; AWS_REGION; the profile).",
)
@click.version_option(package_name="docapi")
@click.pass_context
def cli(
    context: click.Context,
    endpoint: str | None,
    stack_outputs: Path | None,
    profile: str | None,
    region: str | None,
) -> None:
    """Upload, list, download and delete documents of the Secure Document API.

    \b
    Exit codes: 0 ok, 1 other error, 2 usage/configuration, 3 authentication,
    4 not found, 5 rejected, 6 network or service unavailable, 130 interrupted.
    """
    shared = Context(endpoint=endpoint, stack_outputs=stack_outputs, profile=profile, region=region)
    context.obj = shared
    context.call_on_close(shared.close)


def expand(patterns: Sequence[str]) -> list[Path]:
    """Files named or matched (``*.pdf`` quoted from the shell, or on a shell that does not expand)."""
    found: list[Path] = []
    for pattern in patterns:
        if Path(pattern).exists() or not glob.has_magic(pattern):
            found.append(Path(pattern))
            continue
        matches = sorted(glob.glob(pattern, recursive=True))  # noqa: PTH207 -- a pattern may be absolute
        if not matches:
            raise InvalidArgumentError(f"no file matches {pattern!r}")
        found.extend(Path(match) for match in matches)
    missing = [str(path) for path in found if not path.is_file()]
    if missing:
        raise InvalidArgumentError("not a file: " + ", ".join(repr(name) for name in missing))
    return found


def _progress_wanted(as_json: bool) -> bool:
    return not as_json and sys.stderr.isatty()


@cli.command()
@click.argument("files", nargs=-1, required=True)
@click.option(
    "--wait", is_flag=True, help="Wait until each large upload is stored (or rejected) and verify it."
)
@click.option(
    "--concurrency", type=click.IntRange(1, 64), default=8, show_default=True, help="Parallel part PUTs."
)
@click.option(
    "--content-type", type=click.Choice(CONTENT_TYPE_CHOICES), help="Instead of guessing from the name."
)
@json_option
@click.pass_obj
@handles_errors
def upload(
    shared: Context,
    files: tuple[str, ...],
    wait: bool,
    concurrency: int,
    content_type: str | None,
    as_json: bool,
) -> None:
    """Upload files (globs work); large ones in parallel parts, resumable: rerun after a failure.

    Files up to 4,500,000 bytes go in one request; larger ones through an upload session whose parts
    are sent in parallel straight to S3. An interrupted upload resumes when the same command runs
    again. With --wait, each large upload is followed until stored and its SHA-256 verified.
    """
    paths = expand(files)
    client = shared.client(concurrency=concurrency)
    results: list[dict[str, Any]] = []
    first_error: BaseException | None = None
    with _transfer_progress(_progress_wanted(as_json), [path.stat().st_size for path in paths]) as bars:
        for index, path in enumerate(paths):
            try:
                result = client.upload_file(
                    path,
                    content_type=content_type,
                    wait=wait,
                    concurrency=concurrency,
                    progress=bars.file(index, path),
                )
            except (DocapiError, OSError) as raised:
                error = file_error(raised) if isinstance(raised, OSError) else raised
                if isinstance(
                    error, (ConfigurationError, AuthError, TransportError, ServiceUnavailableError)
                ):
                    # the next file would fail the same way; with --json, what was done is kept
                    if as_json and results:
                        results.append({"file": str(path), **error_json(error)})
                        emit_json(results)
                        report_error(error, as_json=False)
                        click.get_current_context().exit(exit_code_for(error))
                    raise error from None
                if len(paths) == 1:
                    raise error from None
                first_error = first_error or error
                results.append({"file": str(path), **error_json(error)})
                report_error(error, as_json=False)
                continue
            results.append(dict(result.as_json()))
            if not as_json:
                bars.print(f"{path} -> {result.id} ({result.as_json()['status']})")
    if as_json:
        emit_json(results)
    if first_error is not None:
        click.get_current_context().exit(exit_code_for(first_error))


class _Bars:
    """A bar per file and a total, or nothing (not a terminal, ``--json``)."""

    def __init__(self, progress: Any, sizes: Sequence[int]) -> None:
        self._progress = progress
        self._sizes = sizes
        self._total = progress.add_task("total", total=sum(sizes)) if progress and len(sizes) > 1 else None

    def file(self, index: int, path: Path) -> Callable[[int], None] | None:
        """The progress callback of file ``index`` (``None`` without bars)."""
        if self._progress is None:
            return None
        task = self._progress.add_task(path.name, total=self._sizes[index])

        def advance(amount: int) -> None:
            self._progress.advance(task, amount)
            if self._total is not None:
                self._progress.advance(self._total, amount)

        return advance

    def print(self, message: str) -> None:
        """A result line: on stdout, or above the bars when both share the terminal."""
        if self._progress is not None and sys.stdout.isatty():
            self._progress.console.print(message, markup=False, highlight=False)
        else:
            click.echo(message)


class _transfer_progress:
    """Context manager: rich bars on stderr while the block runs, or none."""

    def __init__(self, enabled: bool, sizes: Sequence[int]) -> None:
        self._enabled = enabled
        self._sizes = sizes
        self._progress: Any = None

    def __enter__(self) -> _Bars:
        if self._enabled:
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}", style="bold"),
                BarColumn(),
                DownloadColumn(binary_units=True),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=stderr_console(),
                redirect_stdout=False,  # stdout carries data; it must never be routed to the bars' console
                redirect_stderr=False,
            )
            self._progress.start()
        return _Bars(self._progress, self._sizes)

    def __exit__(self, *_: object) -> None:
        if self._progress is not None:
            self._progress.stop()


def _human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _table(columns: Sequence[str], rows: Iterator[Sequence[str]] | list[Sequence[str]]) -> None:
    """A rich table on a terminal, tab-separated lines (no header) when piped."""
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(*columns, box=None, header_style="bold")
        for row in rows:
            table.add_row(*row)
        Console().print(table)
    else:
        for row in rows:
            click.echo("\t".join(row))


@cli.command(name="ls")
@click.option("--type", "content_type", type=click.Choice(CONTENT_TYPE_CHOICES), help="Only this type.")
@click.option("--order", type=click.Choice(["newest", "oldest"]), default="newest", show_default=True)
@click.option("--prefix", help="Only filenames starting with this (case-insensitive).")
@json_option
@click.pass_obj
@handles_errors
def list_command(
    shared: Context, content_type: str | None, order: str, prefix: str | None, as_json: bool
) -> None:
    """List your documents: name, type, size, date, id."""
    documents = list(shared.client().iter_documents(order=order, content_type=content_type, prefix=prefix))
    if as_json:
        emit_json(documents)
        return
    _table(
        ("name", "type", "size", "created", "id"),
        [
            (d["filename"] or "-", d["contentType"], _human_size(d["size"]), d["createdAt"], d["id"])
            for d in documents
        ],
    )


@cli.command()
@click.argument("document_id", metavar="ID")
@json_option
@click.pass_obj
@handles_errors
def info(shared: Context, document_id: str, as_json: bool) -> None:
    """Show one document's metadata."""
    document = shared.client().get_document(document_id)
    if as_json:
        emit_json(document)
        return
    for name, value in document.items():
        click.echo(f"{name}: {value}")


@cli.command()
@click.argument("document_id", metavar="ID")
@click.option(
    "-o",
    "--output",
    type=click.Path(),  # a str: a trailing "/" (a directory, made if missing) must survive
    help="File, or directory (existing, or ending in /) for its filename (default: its filename here).",
)
@json_option
@click.pass_obj
@handles_errors
def download(shared: Context, document_id: str, output: str | None, as_json: bool) -> None:
    """Download a document, verified by SHA-256; never a partial file under the final name.

    -o DIR/ (an existing directory, or any path ending in /) saves it there under its filename.
    """
    client = shared.client()
    target: Path | str = output or Path.cwd()
    document = client.get_document(document_id)
    with _transfer_progress(_progress_wanted(as_json), [document["size"]]) as bars:
        path = client.download(
            document_id, target, progress=bars.file(0, Path(document_id)), document=document
        )
    # the service records the SHA-256 of every document it stores; one without is checked by size only
    verified = document["sha256"] is not None
    if as_json:
        emit_json({"id": document_id, "path": str(path), "verified": verified})
    else:
        note = "SHA-256 verified" if verified else "size verified; the service recorded no SHA-256"
        stderr_console().print(f"{path} ({note})", markup=False, highlight=False)
        if not sys.stdout.isatty():
            click.echo(str(path))


@cli.command()
@click.argument("document_ids", metavar="ID...", nargs=-1, required=True)
@json_option
@click.pass_obj
@handles_errors
def rm(shared: Context, document_ids: tuple[str, ...], as_json: bool) -> None:
    """Delete documents."""
    client = shared.client()
    deleted: list[str] = []
    try:
        for document_id in document_ids:
            client.delete_document(document_id)
            deleted.append(document_id)
            if not as_json:
                click.echo(f"deleted {document_id}")
    finally:
        if as_json and len(deleted) == len(document_ids):
            emit_json({"deleted": deleted})


@cli.command()
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True, help="Sessions to show.")
@json_option
@click.pass_obj
@handles_errors
def uploads(shared: Context, limit: int, as_json: bool) -> None:
    """List your upload sessions, newest first."""
    sessions: list[UploadSession] = shared.client().list_uploads(limit=limit)["items"]
    if as_json:
        emit_json(sessions)
        return
    _table(
        ("id", "status", "name", "size", "created", "error"),
        [
            (
                s["id"],
                s["status"],
                s["filename"],
                _human_size(s["size"]),
                s["createdAt"],
                s["error"]["code"] if "error" in s else "",
            )
            for s in sessions
        ],
    )


def _defer_httpx_command_line() -> None:
    """Spare every ``docapi`` start httpx's own command line (about 0.3 s and 4 MiB).

    httpx's ``__init__`` imports ``httpx._main`` (click, rich.syntax, pygments) whenever click and
    rich are installed, as they are here; docapi never calls ``httpx.main``. This process is the
    ``docapi`` command, so a placeholder that loads the real module on first call changes nothing
    anyone can observe. It is not done on ``import docapi``: a library must not alter another's
    modules in its caller's process.
    """
    if "httpx" in sys.modules or "httpx._main" in sys.modules:
        return
    import types

    def main(*args: Any, **kwargs: Any) -> Any:
        import importlib

        del sys.modules["httpx._main"]
        return importlib.import_module("httpx._main").main(*args, **kwargs)

    placeholder = types.ModuleType("httpx._main")
    placeholder.main = main  # type: ignore[attr-defined]
    sys.modules["httpx._main"] = placeholder


def main() -> None:
    """Entry point of the ``docapi`` console script."""
    _defer_httpx_command_line()
    cli(prog_name="docapi")
