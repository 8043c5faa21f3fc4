"""The AWS clients the checks call, built from boto3's default credential chain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_apigateway import APIGatewayClient
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_sts import STSClient


@dataclass(frozen=True)
class AwsClients:
    """The clients the AWS checks call, all for the stack's region."""

    sts: STSClient
    ec2: EC2Client
    apigateway: APIGatewayClient
    iam: IAMClient


def boto3_clients(region: str) -> AwsClients:
    """Clients from boto3's default credential chain (environment, profiles, SSO, instance roles).

    Building a client resolves no credentials yet; the first call does, so a missing or expired
    login is reported by the credentials check, with its fix.
    """
    import boto3  # only the real run needs it; tests hand the checks stubbed clients

    session = boto3.Session(region_name=region)
    return AwsClients(
        sts=session.client("sts"),
        ec2=session.client("ec2"),
        apigateway=session.client("apigateway"),
        iam=session.client("iam"),
    )
