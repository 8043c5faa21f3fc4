"""docs/security.md is the controls matrix: it must name every policy, and only policies that exist."""

from __future__ import annotations

import re

from policy.guardrails import POLICIES
from tests.unit.policy.harness import POLICY_DIR

SECURITY_DOC = POLICY_DIR.parent / "docs" / "security.md"
POLICY_NAME = re.compile(
    r"`((?:project|s3|lambda|apigateway|ec2|cloudwatch|kms|iam|dynamodb|sqs|ckv2?)-[a-z0-9-]+)`"
)


def test_matrix_names_every_policy_and_no_other() -> None:
    documented = set(POLICY_NAME.findall(SECURITY_DOC.read_text(encoding="utf-8")))

    assert documented == {policy.name for policy in POLICIES}
