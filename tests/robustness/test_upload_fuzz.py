"""Generated uploads at the handler: whatever the headers and bytes, the answer is a documented one,
and a refusal writes nothing (no object, no catalogue item, no idempotency record) while an acceptance
writes exactly the uploaded bytes once, and its one catalogue item lists it as the upload described it.

Complements the corpus (hand-picked cases) with combinations nobody thought of. Derandomised, so a
run is repeatable; each example compares the bucket and the table before and after, so examples
cannot leak into each other even though the deployment fixture is shared by the examples of one test.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.e2e import samples
from tests.robustness.checks import assert_error_body, assert_safe_filename
from tests.unit.service.conftest import ALICE, make_event

if TYPE_CHECKING:
    from tests.robustness.conftest import Deployment

DOCUMENTED_REFUSALS: dict[str, int] = {
    "invalid_request": 400,
    "empty_body": 400,
    "invalid_content_disposition": 400,
    "document_too_large": 413,
    "missing_content_type": 415,
    "unsupported_content_type": 415,
    "content_type_mismatch": 415,
    "invalid_text_encoding": 415,
    "malformed_document": 415,
}
"""What an upload may be refused with (docs/service.md, "Errors"), and the status of each."""
REAL_DOCUMENTS = [sample.data for sample in samples.all_types()]
CONTENT_TYPES = st.one_of(
    st.sampled_from(
        [
            "application/pdf",
            "image/png",
            "image/jpeg",
            "text/plain",
            "text/plain; charset=utf-8",
            "TEXT/PLAIN",
        ]
    ),
    st.text(max_size=40),
    st.none(),
)
DISPOSITIONS = st.one_of(
    st.none(),
    st.text(max_size=60),
    st.text(max_size=40).map(lambda name: f'attachment; filename="{name}"'),
    st.binary(max_size=40).map(
        lambda raw: "attachment; filename*=UTF-8''" + "".join(f"%{b:02X}" for b in raw)
    ),
)
BODIES = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(REAL_DOCUMENTS),
    st.tuples(st.sampled_from(REAL_DOCUMENTS), st.binary(max_size=64)).map(lambda pair: pair[0] + pair[1]),
    st.tuples(st.sampled_from(REAL_DOCUMENTS), st.integers(1, 200)).map(lambda pair: pair[0][: pair[1]]),
    st.text(max_size=200).map(lambda text: text.encode("utf-8", errors="surrogatepass")),
)
MATCHED = st.tuples(st.sampled_from(samples.all_types()), DISPOSITIONS).map(
    lambda pair: (pair[0].content_type, pair[1], pair[0].data)
)
"""Well-formed documents under their own type, with any disposition: exercises the accepting path."""
UPLOADS = st.one_of(st.tuples(CONTENT_TYPES, DISPOSITIONS, BODIES), MATCHED)


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(upload=UPLOADS)
def test_any_upload_gets_a_documented_answer_and_writes_all_or_nothing(
    deployment: Deployment, upload: tuple[str | None, str | None, bytes]
) -> None:
    content_type, disposition, body = upload
    headers = {
        name: value
        for name, value in (("Content-Type", content_type), ("Content-Disposition", disposition))
        if value is not None
    }
    before = deployment.snapshot()
    items_before = deployment.items()

    response = deployment.call(
        make_event("POST", "/documents", caller=ALICE, headers=headers, body=body or None)
    )

    added = sorted(set(deployment.snapshot()) - set(before))
    added_items = sorted(set(deployment.items()) - set(items_before))
    event(f"status {response['statusCode']}")
    if response["statusCode"] != 201:
        code = json.loads(response["body"])["error"]["code"]
        assert DOCUMENTED_REFUSALS.get(code) == response["statusCode"], response["body"]
        assert_error_body(response["body"], code)
        assert added == []
        assert added_items == []
        return
    document = json.loads(response["body"])
    assert document["sha256"] == hashlib.sha256(body).hexdigest()
    assert document["size"] == len(body)
    assert_safe_filename(document["filename"])
    assert [key.rsplit("/", 1)[1] for key, _, _ in added] == [document["id"]]
    stored = deployment.inspector.get_object(Bucket=deployment.bucket, Key=added[0][0])["Body"].read()
    assert stored == body
    assert [sort_key for _, sort_key in added_items] == [f"DOC#{document['id']}"]
    assert [item for item in deployment.listed() if item["id"] == document["id"]] == [document]
