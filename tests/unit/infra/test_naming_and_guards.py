"""Physical names and the guards components keep for arguments built in code."""

from __future__ import annotations

import pulumi
import pytest

from lib import naming
from lib.s3_stack import S3Stack, S3StackArgs
from lib.settings import EncryptionMode
from tests.unit.infra.synth import run_program


def test_the_longest_valid_environment_suffix_still_fits_a_bucket_name() -> None:
    name = naming.access_logs_bucket_name("e" * 20, "123456789012", "ap-southeast-5")

    assert len(name) <= naming.MAX_BUCKET_NAME_LENGTH


def test_an_overlong_bucket_name_is_refused() -> None:
    with pytest.raises(ValueError, match=r"is longer than 63 characters"):
        naming.documents_bucket_name("e" * 40, "123456789012", "us-east-1")


def test_the_longest_valid_environment_suffix_still_fits_the_ingest_bucket_name() -> None:
    name = naming.ingest_bucket_name("e" * 20, "123456789012", "ap-southeast-5")

    assert name == f"doc-ingest-{'e' * 20}-123456789012-ap-southeast-5"
    assert len(name) <= naming.MAX_BUCKET_NAME_LENGTH
    with pytest.raises(ValueError, match=r"is longer than 63 characters"):
        naming.ingest_bucket_name("e" * 40, "123456789012", "us-east-1")


def test_the_processor_names_follow_the_uploads_spec() -> None:
    assert (
        naming.ingest_bucket_name("dev", "123456789012", "us-east-1")
        == "doc-ingest-dev-123456789012-us-east-1"
    )
    assert naming.processor_function_name("dev") == "doc-ingest-dev"
    assert naming.processor_role_name("dev") == "doc-ingest-dev-lambda"
    assert naming.processor_log_group_name("dev") == "/aws/lambda/doc-ingest-dev"
    assert naming.processor_failure_queue_name("dev") == "doc-ingest-dev-failures"


def test_names_share_one_prefix_per_environment() -> None:
    assert naming.function_name("qa") == "doc-processor-qa"
    assert naming.lambda_log_group_name("qa") == "/aws/lambda/doc-processor-qa"
    assert naming.api_execution_log_group_name("abc", "qa") == "API-Gateway-Execution-Logs_abc/qa"
    assert naming.role_arn("aws-cn", "1", "r") == "arn:aws-cn:iam::1:role/r"
    assert naming.bucket_arn("aws-cn", "b") == "arn:aws-cn:s3:::b"


def test_s3_stack_refuses_kms_mode_without_a_key() -> None:
    def program() -> pulumi.Output[None]:
        S3Stack(
            "storage",
            S3StackArgs(
                documents_bucket_name="d",
                access_logs_bucket_name="l",
                account_id="123456789012",
                vpc_endpoint_id="vpce-1",
                lambda_role_arn="arn:aws:iam::123456789012:role/r",
                reconciler_role_arn="arn:aws:iam::123456789012:role/c",
                ingest_bucket_name="i",
                processor_role_arn="arn:aws:iam::123456789012:role/p",
                noncurrent_version_expiration_days=1,
                access_log_expiration_days=1,
                encryption_mode=EncryptionMode.KMS,
            ),
        )
        return pulumi.Output.from_input(None)

    with pytest.raises(ValueError, match=r"encryption_mode KMS needs kms_key_arn"):
        run_program(program)
