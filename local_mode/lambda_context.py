"""A stand-in for the Lambda context object, with the attributes handlers and Powertools read."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

DEFAULT_FUNCTION_NAME = "doc-processor-local"
DEFAULT_MEMORY_MB = 512
"""The deployed function's memory (``lib.settings.DEFAULT_LAMBDA_MEMORY_MB``; lib is not imported here)."""
DEFAULT_TIMEOUT_SECONDS = 25.0
"""The deployed function's timeout (``lib.lambda_stack.DEFAULT_TIMEOUT_SECONDS``), which the service's S3
time budget is sized against; a test keeps the two equal."""
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT_ID = "000000000000"


@dataclass
class LocalLambdaContext:
    """What ``lambda_handler(event, context)`` receives as ``context`` in local mode."""

    function_name: str = DEFAULT_FUNCTION_NAME
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = DEFAULT_MEMORY_MB
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT_ID
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds

    @property
    def invoked_function_arn(self) -> str:
        """The ARN the function would have in the local account."""
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        """The function's log group name (logs go to stdout locally)."""
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        """A stream name in Lambda's format."""
        return f"{time.strftime('%Y/%m/%d')}/[{self.function_version}]local"

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before this invocation would time out."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))
