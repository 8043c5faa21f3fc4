"""The start-up check of the runtime's SDK: an S3 model without conditional writes is refused by name.

The old SDK is real botocore reading a real (edited) S3 model: the model botocore ships, with the
members older releases lack deleted, put first on ``AWS_DATA_PATH`` where botocore's loader looks
before its own data. Nothing in the check is replaced.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import boto3
import boto3.session
import botocore
import pytest
from botocore.loaders import Loader

from document_processor.catalogue import create_dynamodb_client
from document_processor.handler import Application
from document_processor.runtime_checks import (
    MINIMUM_BOTOCORE,
    REQUIRED_DYNAMODB_MEMBERS,
    REQUIRED_S3_MEMBERS,
    UnsupportedSdkError,
    missing_members,
    missing_s3_members,
)
from document_processor.settings import load_settings
from document_processor.storage import create_s3_client
from tests.unit.service.conftest import BUCKET, FakeContext, body_json, make_event

if TYPE_CHECKING:
    from pathlib import Path

S3_API_VERSION = "2006-03-01"


def _install_s3_model(data_path: Path, monkeypatch: pytest.MonkeyPatch, *, without: dict[str, str]) -> None:
    """Put botocore's own S3 model, minus ``without`` (request shape -> member), first on the data path."""
    model: dict[str, Any] = Loader().load_service_model("s3", "service-2", api_version=S3_API_VERSION)
    for shape, member in without.items():
        del model["shapes"][shape]["members"][member]
    target = data_path / "s3" / S3_API_VERSION / "service-2.json"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(model))
    monkeypatch.setenv("AWS_DATA_PATH", str(data_path))


@pytest.fixture
def pre_conditional_writes_sdk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, aws_credentials: None
) -> None:
    """A botocore whose S3 model is what releases before 1.35.2 shipped: no ``PutObject`` ``IfNoneMatch``."""
    _install_s3_model(tmp_path, monkeypatch, without={"PutObjectRequest": "IfNoneMatch"})
    # A default session made earlier in the run has the real model cached; the next one reads the path.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)


@pytest.mark.usefixtures("pre_conditional_writes_sdk")
def test_a_model_without_conditional_writes_is_refused_with_the_versions() -> None:
    with pytest.raises(UnsupportedSdkError) as raised:
        create_s3_client(session=boto3.session.Session())

    message = str(raised.value)
    assert "PutObject.IfNoneMatch" in message
    assert f"botocore {botocore.__version__}" in message
    assert f">= {MINIMUM_BOTOCORE}" in message


@pytest.mark.usefixtures("pre_conditional_writes_sdk")
def test_the_default_session_client_is_checked_too() -> None:
    with pytest.raises(UnsupportedSdkError, match=r"PutObject\.IfNoneMatch"):
        create_s3_client()


def test_a_model_without_checksums_names_every_missing_member(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, aws_credentials: None
) -> None:
    _install_s3_model(
        tmp_path,
        monkeypatch,
        without={
            "PutObjectRequest": "ChecksumSHA256",
            "GetObjectRequest": "ChecksumMode",
            "HeadObjectRequest": "ChecksumMode",
        },
    )

    with pytest.raises(UnsupportedSdkError) as raised:
        create_s3_client(session=boto3.session.Session())

    assert "GetObject.ChecksumMode, HeadObject.ChecksumMode, PutObject.ChecksumSHA256" in str(raised.value)


def test_the_installed_sdk_passes(aws_credentials: None) -> None:
    client = create_s3_client(session=boto3.session.Session())

    assert missing_s3_members(client.meta.service_model) == []


def test_every_required_member_is_one_the_storage_layer_sends() -> None:
    # The list is not decoration: each member is an argument document_processor/storage.py passes.
    from pathlib import Path

    import document_processor.storage as storage

    source = Path(storage.__file__).read_text()
    for operation, members in REQUIRED_S3_MEMBERS.items():
        assert f"self._client.{_snake(operation)}(" in source
        for member in members:
            assert f"{member}=" in source


@pytest.mark.usefixtures("pre_conditional_writes_sdk")
def test_an_old_runtime_sdk_is_logged_when_s3_is_first_needed_and_answers_500_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The S3 client is made by the first request that needs it (clients.py), so that is where an old
    # SDK shows: a clear log line and a 500 configuration_error, never a 502 per upload.
    app = Application.from_settings(load_settings({"DOCUMENTS_BUCKET": BUCKET, "CATALOGUE_TABLE": "t"}))

    response = app.handle(make_event("GET", f"/documents/{'a' * 32}"), FakeContext())

    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    failure = next(entry for entry in logged if entry.get("client") == "s3")
    assert failure["message"] == "Could not create a client"
    assert f"needs botocore >= {MINIMUM_BOTOCORE}" in failure["exception"]
    assert body_json(response)["error"]["code"] == "configuration_error"


DYNAMODB_API_VERSION = "2012-08-10"


@pytest.fixture
def pre_return_values_sdk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, aws_credentials: None) -> None:
    """A botocore whose DynamoDB model predates ``ReturnValuesOnConditionCheckFailure`` (June 2023)."""
    model: dict[str, Any] = Loader().load_service_model(
        "dynamodb", "service-2", api_version=DYNAMODB_API_VERSION
    )
    del model["shapes"]["PutItemInput"]["members"]["ReturnValuesOnConditionCheckFailure"]
    target = tmp_path / "dynamodb" / DYNAMODB_API_VERSION / "service-2.json"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(model))
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)


@pytest.mark.usefixtures("pre_return_values_sdk")
def test_a_dynamodb_model_without_return_values_on_failure_is_refused_by_name() -> None:
    with pytest.raises(UnsupportedSdkError) as raised:
        create_dynamodb_client(session=boto3.session.Session())

    assert (
        "lacks DynamoDB request members this service sends: PutItem.ReturnValuesOnConditionCheckFailure"
        in (str(raised.value))
    )
    assert botocore.__version__ in str(raised.value)


def test_the_installed_sdk_has_every_dynamodb_member(aws_credentials: None) -> None:
    client = create_dynamodb_client(session=boto3.session.Session())

    assert missing_members(client.meta.service_model, REQUIRED_DYNAMODB_MEMBERS) == []


def test_every_required_dynamodb_member_is_one_the_catalogue_sends() -> None:
    from pathlib import Path

    import document_processor.catalogue as catalogue

    source = Path(catalogue.__file__).read_text()
    for operation, members in REQUIRED_DYNAMODB_MEMBERS.items():
        assert f"self._client.{_snake(operation)}(" in source
        for member in members:
            assert f"{member}=" in source


@pytest.mark.usefixtures("pre_return_values_sdk")
def test_an_old_dynamodb_model_answers_500_json_where_the_catalogue_is_needed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = Application.from_settings(load_settings({"DOCUMENTS_BUCKET": BUCKET, "CATALOGUE_TABLE": "t"}))

    response = app.handle(make_event("GET", "/documents"), FakeContext())

    assert body_json(response)["error"]["code"] == "configuration_error"
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert any("ReturnValuesOnConditionCheckFailure" in entry.get("exception", "") for entry in logged)


def _snake(operation: str) -> str:
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in operation).lstrip("_")
