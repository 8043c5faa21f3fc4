"""Preflight: checks a person runs before the first ``pulumi up`` (``make preflight``).

Each check is a small function returning a ``CheckResult`` (ok, warn, fail, or skip when a check it
depends on failed), and every warning or failure carries the command or setting that fixes it.
The AWS checks take their boto3 clients as arguments, so tests answer them with
``botocore.stub.Stubber`` and never reach AWS. This package is not part of the Lambda package and
nothing in ``lib/`` imports it: ``lib/`` stays free of anything that needs credentials.
"""
