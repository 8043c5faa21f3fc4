"""Delivers the emulated buckets' S3 event notifications to their functions, as Lambda would.

When deployed, S3 invokes a function asynchronously with the event ``{"Records": [...]}``: the documents
bucket ``document_processor.reconciler.lambda_handler``, the ingest bucket
``document_processor.processor.lambda_handler``. Locally the emulator sends the same event to an SQS
queue per bucket (as the body of one message); one pump per queue long-polls it on a background thread
and calls its function's handler with each body, unchanged, with a Lambda context naming the function.
A message is deleted only after the handler returned: when it raises, the message becomes visible again
after the queue's visibility timeout, and after ``EVENT_MAX_RECEIVES`` deliveries SQS moves it to the
failed-events queue (Lambda's two retries, then its failure destination). The ``s3:TestEvent`` S3
queues when a notification is configured never reaches Lambda in AWS, so it is dropped here too. One
thread per pump handles one event at a time, so a long event (a large upload's validation) delays the
next event of the same queue only.

With ``LOCAL_MALWARE_SCAN=1`` two more pumps run: one hands the ingest bucket's events to the emulated
scanner (``local_mode.scanner``), one hands the scanner's GuardDuty result events to the processor (as
the EventBridge rule invokes it when deployed); their messages say which events they carry.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import TYPE_CHECKING, Any, Final, TextIO

from local_mode.lambda_context import DEFAULT_TIMEOUT_SECONDS, LocalLambdaContext

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_sqs import SQSClient

    EventHandler = Callable[[dict[str, Any], Any], Any]

RECONCILER_FUNCTION_NAME: Final = "doc-reconciler-local"
PROCESSOR_FUNCTION_NAME: Final = "doc-ingest-local"
"""The ingest processor's function name (``doc-ingest-<env>`` when deployed)."""
PROCESSOR_TIMEOUT_SECONDS: Final = 900.0
"""The processor's context timeout: Lambda's longest, as a gigabyte's validation and copy take minutes."""
DEFAULT_WAIT_SECONDS: Final = 1
"""Long-poll wait per ``ReceiveMessage``: also the longest ``stop`` waits for the thread to notice."""
MAX_MESSAGES: Final = 10
TEST_EVENT: Final = "s3:TestEvent"


class EventPump:
    """Long-polls one SQS queue and hands each message's event to ``handler`` (a Lambda handler).

    ``function_name`` is the function the context names (and the thread's name), ``timeout_seconds`` the
    context's timeout; ``label`` is how the pump's messages name it ("the reconciler", "the processor"),
    ``events`` what they call the events it carries ("S3 events", "malware scan results").
    """

    def __init__(
        self,
        client: SQSClient,
        queue_url: str,
        handler: EventHandler,
        *,
        function_name: str = RECONCILER_FUNCTION_NAME,
        label: str = "the reconciler",
        events: str = "S3 events",
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        wait_seconds: int = DEFAULT_WAIT_SECONDS,
        err: TextIO = sys.stderr,
    ) -> None:
        self._client = client
        self._queue_url = queue_url
        self._handler = handler
        self.function_name = function_name
        self.label = label
        self.events = events
        self._timeout_seconds = timeout_seconds
        self._wait_seconds = wait_seconds
        self._err = err
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the background thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the background thread (once)."""
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"s3-event-pump-{self.function_name}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float | None = None) -> bool:
        """Ask the thread to stop and wait for it (it finishes the message in hand); whether it stopped."""
        self._stopping.set()
        thread, self._thread = self._thread, None
        if thread is None:
            return True
        thread.join(self._wait_seconds + 5.0 if timeout is None else timeout)
        return not thread.is_alive()

    def pump_once(self, *, wait_seconds: int | None = None) -> int:
        """Receive up to ``MAX_MESSAGES`` messages and deliver each; return how many were handled."""
        response = self._client.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=MAX_MESSAGES,
            WaitTimeSeconds=self._wait_seconds if wait_seconds is None else wait_seconds,
        )
        handled = 0
        for message in response.get("Messages", []):
            if self._deliver(message.get("Body", "")):
                self._client.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
                handled += 1
        return handled

    def _deliver(self, body: str) -> bool:
        """Call the handler with the message's event; whether the message is done with."""
        try:
            event = json.loads(body)
        except ValueError:
            self._say("dropping an event message that is not JSON")
            return True
        if not isinstance(event, dict):
            self._say("dropping an event message that is not a JSON object")
            return True
        if event.get("Event") == TEST_EVENT:
            return True
        try:
            context = LocalLambdaContext(
                function_name=self.function_name, timeout_seconds=self._timeout_seconds
            )
            self._handler(event, context)
        except Exception as error:
            self._say(f"{self.label} failed ({type(error).__name__}); the event will be delivered again")
            return False
        return True

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.pump_once()
            except Exception as error:  # the emulator stopping under us, or a transient error
                if self._stopping.is_set():
                    return
                self._say(f"cannot receive events ({type(error).__name__}); retrying")
                self._stopping.wait(self._wait_seconds)

    def _say(self, text: str) -> None:
        print(f"Local mode: {self.events} for {self.function_name}: {text}", file=self._err, flush=True)
