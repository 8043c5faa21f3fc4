"""The Pulumi CrossGuard policy pack (``pulumi preview --policy-pack policy``); see docs/security.md."""
