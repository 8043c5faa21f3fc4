"""The local Lambda context plays the deployed function: same timeout and memory, a shrinking budget."""

from __future__ import annotations

from lib.lambda_stack import DEFAULT_TIMEOUT_SECONDS
from lib.settings import DEFAULT_LAMBDA_MEMORY_MB
from local_mode.lambda_context import LocalLambdaContext


def test_context_reports_the_deployed_functions_timeout_and_memory() -> None:
    context = LocalLambdaContext()

    assert context.timeout_seconds == DEFAULT_TIMEOUT_SECONDS
    assert context.memory_limit_in_mb == DEFAULT_LAMBDA_MEMORY_MB
    assert 0 < context.get_remaining_time_in_millis() <= DEFAULT_TIMEOUT_SECONDS * 1000


def test_an_expired_budget_reports_zero_not_a_negative_time() -> None:
    assert LocalLambdaContext(timeout_seconds=0).get_remaining_time_in_millis() == 0


def test_function_arn_names_the_local_account_and_region() -> None:
    context = LocalLambdaContext(region="eu-west-1", account_id="111122223333", function_name="f")

    assert context.invoked_function_arn == "arn:aws:lambda:eu-west-1:111122223333:function:f"
