"""The SDK and the ``docapi`` command end to end against local mode, every request signed.

Small documents go through ``POST /documents``, large ones through ``/uploads`` (parts PUT to the
emulator's presigned URLs) and come back through the 303; each test's caller is a fresh principal.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import TYPE_CHECKING

import httpx
import pytest

from benchmarks.uploads import write_jpeg
from docapi import IntegrityError, NotFoundError, RejectedError
from tests.e2e.samples import pdf, png

if TYPE_CHECKING:
    from pathlib import Path

    from tests.client.conftest import Caller

MIB = 1024 * 1024
LARGE_SIZE = 32 * MIB + 12_345
"""Seven parts of the service's 5 MiB, the last one short."""


class Interrupted(Exception):
    """Raised from inside the uploader, as a Ctrl-C or a lost network would stop it."""


class CountingTransport(httpx.BaseTransport):
    """The real transport, counting the requests per method (the part PUTs are what a resume saves)."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self.counts: dict[str, int] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.counts[request.method] = self.counts.get(request.method, 0) + 1
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


class FlippingTransport(httpx.BaseTransport):
    """The real transport, but one byte in the middle of every GET body is flipped (a corrupt download)."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        if request.method != "GET" or response.status_code != 200:
            return response
        body = bytearray(response.read())
        if len(body) > 100:
            body[len(body) // 2] ^= 0x01
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-encoding"]
        return httpx.Response(response.status_code, headers=headers, content=bytes(body))

    def close(self) -> None:
        self._inner.close()


class TimingOutTransport(httpx.BaseTransport):
    """The real transport, but the first PUT of every part is answered as S3 answers a stalled
    upload: 400 ``RequestTimeout``, without reaching the emulator."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self.timed_out: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        part = request.url.params.get("partNumber")
        if request.method == "PUT" and part is not None and part not in self.timed_out:
            self.timed_out.append(part)
            request.read()
            body = b"<Error><Code>RequestTimeout</Code><Message>Your socket connection ...</Message></Error>"
            return httpx.Response(400, content=body, headers={"Content-Type": "application/xml"})
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def sha256_of(path: Path) -> str:
    with path.open("rb") as source:
        return hashlib.file_digest(source, "sha256").hexdigest()


@pytest.fixture(scope="module")
def large_jpeg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid JPEG above the inline limit (written in segments, never whole in memory)."""
    path = tmp_path_factory.mktemp("large") / "scan.jpg"
    write_jpeg(path, LARGE_SIZE)
    return path


def test_small_documents_round_trip_through_the_cli(caller: Caller, tmp_path: Path) -> None:
    # given a PDF and a PNG, uploaded with a shell glob the command expands itself
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "report.pdf").write_bytes(pdf(2).data)
    (tmp_path / "in" / "figure.png").write_bytes(png(7, 5).data)
    uploaded = caller.run("upload", str(tmp_path / "in" / "*"), "--json")
    assert uploaded.exit_code == 0, uploaded.stderr
    results = {result["file"].rsplit("/", 1)[1]: result for result in json.loads(uploaded.stdout)}
    assert set(results) == {"report.pdf", "figure.png"}
    assert all(result["status"] == "stored" and not result["multipart"] for result in results.values())
    assert results["report.pdf"]["document"]["pageCount"] == 2

    # then ls, info and download agree with the files
    listed = json.loads(caller.run("ls", "--json").stdout)
    assert {item["filename"] for item in listed} == {"report.pdf", "figure.png"}
    only_png = json.loads(caller.run("ls", "--type", "image/png", "--json").stdout)
    assert [item["filename"] for item in only_png] == ["figure.png"]
    document_id = results["figure.png"]["id"]
    info = json.loads(caller.run("info", document_id, "--json").stdout)
    expected_sha256 = sha256_of(tmp_path / "in" / "figure.png")
    assert (info["width"], info["height"], info["sha256"]) == (7, 5, expected_sha256)
    target = tmp_path / "out.png"
    downloaded = caller.run("download", document_id, "-o", str(target), "--json")
    assert downloaded.exit_code == 0, downloaded.stderr
    assert json.loads(downloaded.stdout) == {"id": document_id, "path": str(target), "verified": True}
    assert target.read_bytes() == (tmp_path / "in" / "figure.png").read_bytes()

    # when both are removed, they are gone: info is exit 4 with the service's code
    removed = caller.run("rm", *(result["id"] for result in results.values()), "--json")
    assert removed.exit_code == 0, removed.stderr
    assert sorted(json.loads(removed.stdout)["deleted"]) == sorted(r["id"] for r in results.values())
    gone = caller.run("info", document_id, "--json")
    assert gone.exit_code == 4
    assert json.loads(gone.stdout)["error"]["code"] == "not_found"


def test_large_upload_waits_until_stored_and_downloads_identical(
    caller: Caller, large_jpeg: Path, tmp_path: Path
) -> None:
    uploaded = caller.run("upload", str(large_jpeg), "--wait", "--concurrency", "4", "--json")
    assert uploaded.exit_code == 0, uploaded.stderr
    [result] = json.loads(uploaded.stdout)
    assert (result["multipart"], result["status"]) == (True, "stored")
    assert result["document"]["sha256"] == sha256_of(large_jpeg) == result["sha256"]
    assert result["document"]["size"] == LARGE_SIZE

    # the download follows the 303 to the emulator, unsigned, and verifies the SHA-256
    target = tmp_path / "copy.jpg"
    downloaded = caller.run("download", result["id"], "-o", str(target))
    assert downloaded.exit_code == 0, downloaded.stderr
    assert sha256_of(target) == sha256_of(large_jpeg)
    sessions = json.loads(caller.run("uploads", "--json").stdout)
    assert [(s["id"], s["status"], s["partCount"]) for s in sessions] == [(result["id"], "stored", 7)]


def test_an_interrupted_upload_resumes_with_only_the_missing_parts(caller: Caller, large_jpeg: Path) -> None:
    # given an upload stopped after its second part was accepted
    accepted: list[int] = []

    def stop_after_two(part_number: int) -> None:
        accepted.append(part_number)
        if len(accepted) == 2:
            raise Interrupted

    with caller.client() as first, pytest.raises(Interrupted):
        first.upload_file(large_jpeg, concurrency=2, on_part=stop_after_two)
    with caller.client() as client:
        [session] = client.list_uploads()["items"]
        received = client.get_upload(session["id"])["partsReceived"]
    assert session["status"] == "awaiting-parts"
    assert 2 <= len(received) < session["partCount"]

    # when the same file is uploaded again
    counting = CountingTransport()
    with caller.client(storage_transport=counting) as second:
        result = second.upload_file(large_jpeg, wait=True)

    # then the same session was completed, sending only the parts S3 did not have
    assert result.id == session["id"]
    assert counting.counts == {"PUT": session["partCount"] - len(received)}
    assert result.document is not None
    assert result.document["sha256"] == sha256_of(large_jpeg)
    assert not list(caller.state_dir.iterdir())  # the resume state is gone once completed


@pytest.mark.parametrize("large", [False, True], ids=["inline", "303"])
def test_a_corrupted_download_is_detected_and_leaves_no_file(
    caller: Caller, large_jpeg: Path, tmp_path: Path, large: bool
) -> None:
    source = large_jpeg if large else tmp_path / "note.txt"
    if not large:
        source.write_text("a small note, long enough to have a middle byte to flip. " * 4)
    with caller.client() as client:
        document_id = client.upload_file(source, wait=True).id
    # the API's own response (inline) or S3's (behind the 303) comes back with one byte changed
    transport = {"storage_transport" if large else "transport": FlippingTransport()}
    target = tmp_path / "downloads" / "copy"
    with caller.client(**transport) as client, pytest.raises(IntegrityError, match="SHA-256"):
        client.download(document_id, target)
    assert not target.exists()
    assert list(target.parent.iterdir()) == []  # no partial file either


def test_wrong_secret_is_exit_3(caller: Caller) -> None:
    result = caller.run("ls", "--json", secret="not-the-secret-key-of-this-principal")
    assert result.exit_code == 3
    error = json.loads(result.stdout)["error"]
    assert (error["type"], error["status"]) == ("AuthError", 403)
    assert "credentials" in result.stderr


def test_unknown_document_is_exit_4_and_downloads_nothing(caller: Caller, tmp_path: Path) -> None:
    unknown = "0" * 32
    assert caller.run("info", unknown).exit_code == 4
    result = caller.run("download", unknown, "-o", str(tmp_path / "x"))
    assert result.exit_code == 4
    assert list(tmp_path.iterdir()) == []
    assert caller.run("rm", unknown).exit_code == 4
    with caller.client() as client, pytest.raises(NotFoundError):
        client.get_upload(unknown)


def test_a_mismatching_type_is_exit_5_with_the_code(caller: Caller, tmp_path: Path) -> None:
    fake = tmp_path / "invoice.pdf"
    fake.write_text("plain text, not a PDF\n")
    result = caller.run("upload", str(fake), "--json")
    assert result.exit_code == 5
    error = json.loads(result.stdout)["error"]
    assert (error["status"], error["code"]) == (415, "content_type_mismatch")
    assert json.loads(caller.run("ls", "--json").stdout) == []


def test_a_rejected_upload_session_is_exit_5_with_the_processor_code(caller: Caller, tmp_path: Path) -> None:
    # given a text file declared as a JPEG by its name, sent through /uploads (inline limit lowered)
    fake = tmp_path / "photo.jpg"
    fake.write_bytes(b"not a jpeg at all\n" * 200)
    result = caller.run("upload", str(fake), "--wait", "--json", DOCAPI_INLINE_LIMIT="1000")
    assert result.exit_code == 5, result.stderr
    error = json.loads(result.stdout)["error"]
    assert (error["type"], error["code"]) == ("RejectedError", "content_type_mismatch")
    [session] = json.loads(caller.run("uploads", "--json").stdout)
    assert session["status"] == "rejected"
    with caller.client() as client, pytest.raises(RejectedError) as raised:
        client.wait_for_upload(session["id"])
    assert raised.value.code == "content_type_mismatch"


def test_one_bad_file_does_not_stop_the_others(caller: Caller, tmp_path: Path) -> None:
    good, bad = tmp_path / "good.txt", tmp_path / "bad.png"
    good.write_text("fine\n")
    bad.write_text("not a png\n")
    result = caller.run("upload", str(bad), str(good), "--json")
    assert result.exit_code == 5
    first, second = json.loads(result.stdout)
    assert first["error"]["code"] == "content_type_mismatch"
    assert second["status"] == "stored"


def test_text_output_is_tab_separated_when_piped(caller: Caller, tmp_path: Path) -> None:
    note = tmp_path / "ünïcode name.txt"
    note.write_text("hello\n")
    assert caller.run("upload", str(note)).exit_code == 0
    lines = caller.run("ls").stdout.splitlines()
    [row] = [line.split("\t") for line in lines]
    assert row[:3] == ["ünïcode name.txt", "text/plain", "6 B"]


def test_usage_errors_are_exit_2(caller: Caller, tmp_path: Path) -> None:
    assert caller.run("upload", str(tmp_path / "absent.txt")).exit_code == 2
    assert caller.run("info", "not-an-id").exit_code == 2
    assert caller.run("ls", "--order", "sideways").exit_code == 2
    no_endpoint = caller.run("ls", DOCAPI_ENDPOINT="")
    assert no_endpoint.exit_code == 2
    assert "DOCAPI_ENDPOINT" in no_endpoint.stderr
    assert os.environ.get("DOCAPI_ENDPOINT") is None


def test_a_filename_prefix_with_spaces_and_accents_is_signed_correctly(
    caller: Caller, tmp_path: Path
) -> None:
    for name in ("ünïcode name.txt", "other.txt"):
        (tmp_path / name).write_text("hello\n")
        assert caller.run("upload", str(tmp_path / name)).exit_code == 0
    found = caller.run("ls", "--prefix", "ÜNÏCODE N", "--json")
    assert found.exit_code == 0, found.stderr
    assert [item["filename"] for item in json.loads(found.stdout)] == ["ünïcode name.txt"]


def test_a_stale_resume_state_starts_a_new_session(caller: Caller, tmp_path: Path) -> None:
    # given a state file naming a session this caller does not have (expired, or another caller's)
    from docapi.uploader import ResumeState, file_sha256

    source = tmp_path / "notes.txt"
    source.write_bytes(b"line of text\n" * 200)
    stat = source.stat()
    with caller.client(inline_limit=1000) as client:
        state = ResumeState(
            caller.state_dir,
            endpoint=client.endpoint,
            path=source,
            size=stat.st_size,
            mtime_ns=stat.st_mtime_ns,
            sha256=file_sha256(source),
        )
        state.save("f" * 32)
        # when the file is uploaded
        result = client.upload_file(source, wait=True)
    # then a new session carried it, and the stale state is gone
    assert result.id != "f" * 32
    assert result.document is not None
    assert result.document["size"] == stat.st_size
    assert state.load() is None


def test_download_into_a_directory_uses_the_documents_filename(caller: Caller, tmp_path: Path) -> None:
    source = tmp_path / "minutes.txt"
    source.write_text("the minutes\n")
    [result] = json.loads(caller.run("upload", str(source), "--json").stdout)
    (tmp_path / "downloads").mkdir()
    downloaded = caller.run("download", result["id"], "-o", str(tmp_path / "downloads"))
    assert downloaded.exit_code == 0, downloaded.stderr
    assert downloaded.stdout.strip() == str(tmp_path / "downloads" / "minutes.txt")
    assert (tmp_path / "downloads" / "minutes.txt").read_text() == "the minutes\n"


def test_download_into_a_missing_directory_given_with_a_slash_makes_it(
    caller: Caller, tmp_path: Path
) -> None:
    source = tmp_path / "agenda.txt"
    source.write_text("the agenda\n")
    [result] = json.loads(caller.run("upload", str(source), "--json").stdout)
    downloaded = caller.run("download", result["id"], "-o", f"{tmp_path}/fresh/", "--json")
    assert downloaded.exit_code == 0, downloaded.stderr
    assert json.loads(downloaded.stdout) == {
        "id": result["id"],
        "path": str(tmp_path / "fresh" / "agenda.txt"),
        "verified": True,
    }
    assert (tmp_path / "fresh" / "agenda.txt").read_text() == "the agenda\n"


def test_a_part_s3_timed_out_on_is_sent_again(caller: Caller, large_jpeg: Path) -> None:
    transport = TimingOutTransport()
    with caller.client(storage_transport=transport) as client:
        result = client.upload_file(large_jpeg, wait=True)
    assert result.session is not None
    assert len(transport.timed_out) == result.session["partCount"] > 1
    assert result.document is not None
    assert result.document["sha256"] == sha256_of(large_jpeg)


def test_a_file_that_cannot_be_written_is_a_usage_error_not_a_traceback(
    caller: Caller, tmp_path: Path
) -> None:
    source = tmp_path / "memo.txt"
    source.write_text("a memo\n")
    [result] = json.loads(caller.run("upload", str(source), "--json").stdout)
    downloaded = caller.run("download", result["id"], "-o", "/proc/docapi-no-such-dir/memo.txt", "--json")
    assert downloaded.exit_code == 2
    error = json.loads(downloaded.stdout)["error"]
    assert error["type"] == "InvalidArgumentError"
    assert "/proc/docapi-no-such-dir" in error["message"]


def test_with_json_the_files_uploaded_before_a_fatal_error_are_still_reported(
    caller: Caller, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from docapi import TransportError
    from docapi.client import DocumentClient

    first, second, third = (tmp_path / f"{name}.txt" for name in ("one", "two", "three"))
    for path in (first, second, third):
        path.write_text(f"{path.name}\n")
    real = DocumentClient.upload_file

    def network_fails_after_the_first(self: DocumentClient, path: Path, **options: object) -> object:
        if str(path).rsplit("/", 1)[-1] != "one.txt":
            raise TransportError("cannot reach the service: ConnectError('network down')")
        return real(self, path, **options)  # type: ignore[arg-type]  # the options are upload_file's own

    monkeypatch.setattr(DocumentClient, "upload_file", network_fails_after_the_first)
    result = caller.run("upload", str(first), str(second), str(third), "--json")
    assert result.exit_code == 6
    reported = json.loads(result.stdout)
    assert [entry["file"] for entry in reported] == [str(first), str(second)]  # three was never tried
    assert reported[0]["status"] == "stored"
    assert reported[1]["error"]["type"] == "TransportError"
    listed = json.loads(caller.run("ls", "--json").stdout)
    assert [item["id"] for item in listed] == [reported[0]["id"]]


def test_a_file_the_service_finds_too_large_inline_goes_through_uploads(
    caller: Caller, tmp_path: Path
) -> None:
    # the client's inline limit above the service's MAX_DOCUMENT_BYTES (4,500,000 in local mode)
    source = tmp_path / "long.txt"
    source.write_bytes(b"a long line of plain text\n" * 180_000)  # 4,680,000 bytes
    with caller.client(inline_limit=6_000_000) as client:
        result = client.upload_file(source, wait=True)
    assert result.multipart is True
    assert result.document is not None
    assert result.document["size"] == source.stat().st_size
