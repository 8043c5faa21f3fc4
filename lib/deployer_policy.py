"""The least-privilege IAM policy of the principal that runs ``pulumi up`` for this project.

Generated from a table: for every resource type the program declares, the IAM actions the Pulumi
AWS provider calls to create, read (refresh), update, tag and delete it, with the resources scoped
to this project's names (``doc-processor-*``, ``doc-reconciler-*``, ``doc-ingest-*``, ``doc-api-*``,
``docs-*``) wherever the action
supports resource-level permissions, and ``*`` only where it does not. ``iam:PassRole`` is granted
only on the program's roles, each only to the service that uses it (``iam:PassedToService``).

The statements are packed into as few customer managed policies as IAM's size limit allows
(``deploy/deployer-policy-<n>.json``). The committed files keep ``${AWS::Partition}``,
``${AWS::AccountId}`` and ``${AWS::Region}`` placeholders (CloudFormation's pseudo-parameter
spelling); ``render`` fills them in for one account and region. Regenerate with
``make deployer-policy``; a test fails when the committed file and this table disagree.

Pure: no Pulumi, no AWS calls. ``python -m lib.deployer_policy --output-dir DIR [--account-id ID
--region R [--partition P]]`` writes the templates, or the policies for one account and region.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from lib import naming, policies

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

PARTITION: Final = "${AWS::Partition}"
ACCOUNT: Final = "${AWS::AccountId}"
REGION: Final = "${AWS::Region}"
PLACEHOLDERS: Final = (PARTITION, ACCOUNT, REGION)

FUNCTION_PREFIX: Final = naming.function_name("")
"""``doc-processor-``: the function, its roles, log groups, topic, alarms, dashboard, key alias, table."""
RECONCILER_PREFIX: Final = naming.reconciler_function_name("")
"""``doc-reconciler-``: the catalogue reconciler, its role, log group and failure queue."""
INGEST_PREFIX: Final = naming.processor_function_name("")
"""``doc-ingest-``: the ingest processor, its role, log group and failure queue, and the ingest bucket
(``lib.naming.ingest_bucket_name``)."""
API_PREFIX: Final = naming.api_name("")
"""``doc-api-``: the REST API, its access-log group, the web ACL and the per-stack CloudWatch role."""
BUCKET_PREFIX: Final = "docs-"
"""Both buckets (``lib.naming.documents_bucket_name``, ``access_logs_bucket_name``)."""
ACCOUNT_ROLE_PREFIX: Final = "apigw-cloudwatch-"
"""The account stack's role (``lib.api_gateway_account.ACCOUNT_ROLE_NAME_PREFIX``; tested equal)."""
EXECUTION_LOG_GROUP_PREFIX: Final = naming.api_execution_log_group_name("", "").split("/")[0]
"""``API-Gateway-Execution-Logs_``: the group name API Gateway fixes (``<api id>/<stage>``)."""


def _arn(service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
    return f"arn:{PARTITION}:{service}:{REGION if region else ''}:{ACCOUNT if account else ''}:{resource}"


ROLES: Final = (
    _arn("iam", f"role/{FUNCTION_PREFIX}*", region=False),
    _arn("iam", f"role/{RECONCILER_PREFIX}*", region=False),
    _arn("iam", f"role/{INGEST_PREFIX}*", region=False),
)
LAMBDA_ROLES: Final = (
    _arn("iam", f"role/{naming.lambda_role_name('*')}", region=False),
    _arn("iam", f"role/{naming.reconciler_role_name('*')}", region=False),
    _arn("iam", f"role/{naming.processor_role_name('*')}", region=False),
)
"""``doc-processor-*-lambda``, ``doc-reconciler-*-lambda``, ``doc-ingest-*-lambda``: the only roles passed
to Lambda."""
MALWARE_SCAN_ROLES: Final = _arn("iam", f"role/{naming.malware_scan_role_name('*')}", region=False)
"""``doc-ingest-*-malware-scan``: the only roles passed to GuardDuty (lib.malware_scan_stack)."""
FLOW_LOG_ROLES: Final = _arn("iam", f"role/{FUNCTION_PREFIX}*-flow-logs", region=False)
"""``doc-processor-*-flow-logs``: the only roles passed to VPC flow logs (lib.networking_stack)."""
API_ROLES: Final = _arn("iam", f"role/{API_PREFIX}*", region=False)
ACCOUNT_ROLES: Final = _arn("iam", f"role/{ACCOUNT_ROLE_PREFIX}*", region=False)
FUNCTIONS: Final = tuple(
    _arn("lambda", f"function:{prefix}{suffix}")
    for prefix in (FUNCTION_PREFIX, RECONCILER_PREFIX, INGEST_PREFIX)
    for suffix in ("*", "*:*")
)
LOG_GROUPS: Final = tuple(
    _arn("logs", f"log-group:{name}*")
    for name in (
        f"/aws/lambda/{FUNCTION_PREFIX}",
        f"/aws/lambda/{RECONCILER_PREFIX}",
        f"/aws/lambda/{INGEST_PREFIX}",
        f"/aws/vpc/{FUNCTION_PREFIX}",
        f"/aws/apigateway/{API_PREFIX}",
        EXECUTION_LOG_GROUP_PREFIX,
    )
)
ALL_LOG_GROUPS: Final = _arn("logs", "log-group:*")
"""DescribeLogGroups is authorised on ``log-group:*`` only (CloudWatch Logs user guide)."""
BUCKETS: Final = (f"arn:{PARTITION}:s3:::{BUCKET_PREFIX}*", f"arn:{PARTITION}:s3:::{INGEST_PREFIX}*")
"""The vault and its log bucket (``docs-*``), the ingest bucket (``doc-ingest-*``)."""
TOPICS: Final = _arn("sns", f"{FUNCTION_PREFIX}*")
TABLES: Final = _arn("dynamodb", f"table/{FUNCTION_PREFIX}*")
"""The catalogue table (``lib.naming.catalogue_table_name``)."""
QUEUES: Final = (_arn("sqs", f"{RECONCILER_PREFIX}*"), _arn("sqs", f"{INGEST_PREFIX}*"))
"""The failure queues of the reconciler and the processor (``lib.naming.*_failure_queue_name``)."""
EVENT_RULES: Final = _arn("events", f"rule/{INGEST_PREFIX}*")
"""The malware gate's rules on the default bus (``lib.naming.scan_result_rule_name``, ...)."""
MALWARE_PROTECTION_PLANS: Final = _arn("guardduty", "malware-protection-plan/*")
"""Plan IDs are random: plans of this account and region."""
ALARMS: Final = _arn("cloudwatch", f"alarm:{FUNCTION_PREFIX}*")
DASHBOARDS: Final = _arn("cloudwatch", f"dashboard/{FUNCTION_PREFIX}*", region=False)
KEYS: Final = _arn("kms", "key/*")
"""Key IDs are random: keys of this account and region (the key policy adds its own limits)."""
ALIASES: Final = _arn("kms", f"alias/{FUNCTION_PREFIX}*")
EC2: Final = (_arn("ec2", "*"), f"arn:{PARTITION}:ec2:{REGION}:*:prefix-list/*")
"""This account's EC2 resources in the region, and the AWS-owned S3 prefix list the SG names."""
REST_APIS: Final = tuple(
    _arn("apigateway", path, account=False) for path in ("/restapis", "/restapis/*", "/tags/*")
)
API_ACCOUNT: Final = _arn("apigateway", "/account", account=False)
WEB_ACLS: Final = _arn("wafv2", f"regional/webacl/{API_PREFIX}*/*")
MANAGED_RULE_SETS: Final = f"arn:{PARTITION}:wafv2:{REGION}:*:regional/managedruleset/*/*"
"""The AWS managed rule groups the web ACL references (owned by their vendor, not this account)."""
STAGES: Final = _arn("apigateway", "/restapis/*/stages/*", account=False)
ANY: Final = "*"
PUSH_TO_CLOUDWATCH_POLICY: Final = (
    f"arn:{PARTITION}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
)
"""The only policy the deployer may attach (to the API Gateway CloudWatch roles)."""


@dataclass(frozen=True)
class Grant:
    """Actions on resources (ARN patterns with placeholders), optionally under a condition."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]
    condition: Mapping[str, Mapping[str, str | list[str]]] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def key(self) -> str:
        """Grants with the same resources and condition share one statement."""
        return json.dumps([sorted(self.resources), self.condition], sort_keys=True, default=dict)


def _g(resources: str | Sequence[str], *actions: str, **condition: Mapping[str, str | list[str]]) -> Grant:
    resource_tuple = (resources,) if isinstance(resources, str) else tuple(resources)
    return Grant(tuple(actions), resource_tuple, MappingProxyType(dict(condition)))


def _pass_role(role_arns: str | Sequence[str], service: str) -> Grant:
    return _g(role_arns, "iam:PassRole", StringEquals={"iam:PassedToService": service})


_ROLE_LIFECYCLE: Final = (
    "iam:CreateRole", "iam:GetRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateRoleDescription",
    "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags",
    "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
)  # fmt: skip
_BUCKET_READ: Final = (
    # What the provider reads to refresh an aws.s3.Bucket (it reads every sub-configuration).
    "s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketTagging", "s3:GetBucketPolicy",
    "s3:GetBucketAcl", "s3:GetBucketCORS", "s3:GetBucketWebsite", "s3:GetBucketVersioning",
    "s3:GetAccelerateConfiguration", "s3:GetBucketRequestPayment", "s3:GetBucketLogging",
    "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration", "s3:GetEncryptionConfiguration",
    "s3:GetBucketObjectLockConfiguration", "s3:GetBucketOwnershipControls", "s3:GetBucketPublicAccessBlock",
)  # fmt: skip

TYPE_GRANTS: Final[Mapping[str, tuple[Grant, ...]]] = MappingProxyType(
    {
        "aws:ec2/vpc:Vpc": (
            _g(
                EC2,
                "ec2:CreateVpc",
                "ec2:DeleteVpc",
                "ec2:ModifyVpcAttribute",
                "ec2:CreateTags",
                "ec2:DeleteTags",
            ),
            _g(ANY, "ec2:DescribeVpcs", "ec2:DescribeVpcAttribute", "ec2:DescribeTags"),
        ),
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": (
            _g(EC2, "ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress", "ec2:CreateTags"),
            _g(ANY, "ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules"),
        ),
        "aws:ec2/internetGateway:InternetGateway": (
            _g(
                EC2,
                "ec2:CreateInternetGateway",
                "ec2:DeleteInternetGateway",
                "ec2:AttachInternetGateway",
                "ec2:DetachInternetGateway",
                "ec2:CreateTags",
            ),
            _g(ANY, "ec2:DescribeInternetGateways"),
        ),
        "aws:ec2/routeTable:RouteTable": (
            _g(EC2, "ec2:CreateRouteTable", "ec2:DeleteRouteTable", "ec2:CreateTags"),
            _g(ANY, "ec2:DescribeRouteTables"),
        ),
        "aws:ec2/route:Route": (
            _g(EC2, "ec2:CreateRoute", "ec2:DeleteRoute", "ec2:ReplaceRoute"),
            _g(ANY, "ec2:DescribeRouteTables"),
        ),
        "aws:ec2/subnet:Subnet": (
            _g(EC2, "ec2:CreateSubnet", "ec2:DeleteSubnet", "ec2:ModifySubnetAttribute", "ec2:CreateTags"),
            _g(ANY, "ec2:DescribeSubnets"),
        ),
        "aws:ec2/routeTableAssociation:RouteTableAssociation": (
            _g(
                EC2,
                "ec2:AssociateRouteTable",
                "ec2:DisassociateRouteTable",
                "ec2:ReplaceRouteTableAssociation",
            ),
            _g(ANY, "ec2:DescribeRouteTables"),
        ),
        "aws:ec2/vpcEndpoint:VpcEndpoint": (
            _g(
                EC2,
                "ec2:CreateVpcEndpoint",
                "ec2:DeleteVpcEndpoints",
                "ec2:ModifyVpcEndpoint",
                "ec2:CreateTags",
            ),
            _g(ANY, "ec2:DescribeVpcEndpoints", "ec2:DescribePrefixLists"),
        ),
        "aws:ec2/securityGroup:SecurityGroup": (
            _g(
                EC2,
                "ec2:CreateSecurityGroup",
                "ec2:DeleteSecurityGroup",
                "ec2:AuthorizeSecurityGroupEgress",
                "ec2:RevokeSecurityGroupEgress",
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
                "ec2:CreateTags",
            ),
            # Deleting the group waits for the function's network interfaces to go.
            _g(
                ANY,
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSecurityGroupRules",
                "ec2:DescribeNetworkInterfaces",
            ),
        ),
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (
            _g(
                EC2,
                "ec2:AuthorizeSecurityGroupEgress",
                "ec2:RevokeSecurityGroupEgress",
                "ec2:ModifySecurityGroupRules",
                "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
                "ec2:CreateTags",
                "ec2:DeleteTags",
            ),
            _g(ANY, "ec2:DescribeSecurityGroupRules", "ec2:DescribeSecurityGroups"),
        ),
        "aws:ec2/flowLog:FlowLog": (
            _g(EC2, "ec2:CreateFlowLogs", "ec2:DeleteFlowLogs", "ec2:CreateTags"),
            _g(ANY, "ec2:DescribeFlowLogs"),
            _pass_role(FLOW_LOG_ROLES, "vpc-flow-logs.amazonaws.com"),
        ),
        "aws:cloudwatch/logGroup:LogGroup": (
            _g(
                LOG_GROUPS,
                "logs:CreateLogGroup",
                "logs:DeleteLogGroup",
                "logs:PutRetentionPolicy",
                "logs:DeleteRetentionPolicy",
                "logs:AssociateKmsKey",
                "logs:DisassociateKmsKey",
                "logs:TagResource",
                "logs:UntagResource",
                "logs:ListTagsForResource",
            ),
            _g(ALL_LOG_GROUPS, "logs:DescribeLogGroups"),
        ),
        "aws:iam/role:Role": (_g((*ROLES, API_ROLES, ACCOUNT_ROLES), *_ROLE_LIFECYCLE),),
        "aws:iam/rolePolicy:RolePolicy": (
            _g(
                ROLES,
                "iam:PutRolePolicy",
                "iam:GetRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:ListRolePolicies",
            ),
        ),
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (
            _g(
                (API_ROLES, ACCOUNT_ROLES),
                "iam:AttachRolePolicy",
                "iam:DetachRolePolicy",
                ArnEquals={"iam:PolicyARN": PUSH_TO_CLOUDWATCH_POLICY},
            ),
            _g((API_ROLES, ACCOUNT_ROLES), "iam:ListAttachedRolePolicies"),
        ),
        "aws:kms/key:Key": (
            _g(ANY, "kms:CreateKey"),
            _g(
                KEYS,
                "kms:DescribeKey",
                "kms:GetKeyPolicy",
                "kms:PutKeyPolicy",
                "kms:GetKeyRotationStatus",
                "kms:EnableKeyRotation",
                "kms:DisableKeyRotation",
                "kms:EnableKey",
                "kms:DisableKey",
                "kms:UpdateKeyDescription",
                "kms:ScheduleKeyDeletion",
                "kms:ListResourceTags",
                "kms:TagResource",
                "kms:UntagResource",
            ),
        ),
        "aws:kms/alias:Alias": (
            _g((ALIASES, KEYS), "kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"),
            _g(ANY, "kms:ListAliases"),
        ),
        "aws:s3/bucket:Bucket": (
            _g(BUCKETS, "s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucketTagging", *_BUCKET_READ),
        ),
        "aws:s3/bucketPolicy:BucketPolicy": (
            _g(BUCKETS, "s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"),
        ),
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (
            _g(BUCKETS, "s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"),
        ),
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls": (
            _g(BUCKETS, "s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls"),
        ),
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
            _g(BUCKETS, "s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration"),
        ),
        "aws:s3/bucketVersioning:BucketVersioning": (
            _g(BUCKETS, "s3:PutBucketVersioning", "s3:GetBucketVersioning"),
        ),
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (
            _g(BUCKETS, "s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration"),
        ),
        "aws:s3/bucketLogging:BucketLogging": (_g(BUCKETS, "s3:PutBucketLogging", "s3:GetBucketLogging"),),
        "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration": (
            _g(BUCKETS, "s3:PutBucketCORS", "s3:GetBucketCORS"),
        ),
        "aws:s3/bucketNotification:BucketNotification": (
            _g(BUCKETS, "s3:PutBucketNotification", "s3:GetBucketNotification"),
        ),
        "aws:dynamodb/table:Table": (
            _g(
                TABLES,
                "dynamodb:CreateTable",
                "dynamodb:DescribeTable",
                "dynamodb:UpdateTable",
                "dynamodb:DeleteTable",
                "dynamodb:DescribeContinuousBackups",
                "dynamodb:UpdateContinuousBackups",
                "dynamodb:DescribeTimeToLive",
                "dynamodb:UpdateTimeToLive",
                "dynamodb:TagResource",
                "dynamodb:UntagResource",
                "dynamodb:ListTagsOfResource",
            ),
            # KMS mode: DynamoDB creates its grant on the customer managed key for the caller of
            # CreateTable/UpdateTable, so the deployer needs these on the key, through DynamoDB only.
            _g(
                KEYS,
                "kms:CreateGrant",
                "kms:DescribeKey",
                StringEquals={"kms:ViaService": f"dynamodb.{REGION}.amazonaws.com"},
            ),
        ),
        "aws:sqs/queue:Queue": (
            _g(
                QUEUES,
                "sqs:CreateQueue",
                "sqs:GetQueueAttributes",
                "sqs:SetQueueAttributes",
                "sqs:DeleteQueue",
                "sqs:TagQueue",
                "sqs:UntagQueue",
                "sqs:ListQueueTags",
            ),
        ),
        "aws:lambda/function:Function": (
            _g(
                FUNCTIONS,
                "lambda:CreateFunction",
                "lambda:DeleteFunction",
                "lambda:GetFunction",
                "lambda:GetFunctionConfiguration",
                "lambda:UpdateFunctionCode",
                "lambda:UpdateFunctionConfiguration",
                "lambda:ListVersionsByFunction",
                "lambda:PublishVersion",
                "lambda:GetFunctionCodeSigningConfig",
                "lambda:PutFunctionConcurrency",
                "lambda:DeleteFunctionConcurrency",
                "lambda:GetFunctionConcurrency",
                "lambda:TagResource",
                "lambda:UntagResource",
                "lambda:ListTags",
            ),
            # Creating a VPC function checks the subnets and security group as the caller.
            _g(ANY, "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs"),
            _pass_role(LAMBDA_ROLES, "lambda.amazonaws.com"),
        ),
        "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": (
            _g(
                FUNCTIONS,
                "lambda:PutFunctionEventInvokeConfig",
                "lambda:GetFunctionEventInvokeConfig",
                "lambda:UpdateFunctionEventInvokeConfig",
                "lambda:DeleteFunctionEventInvokeConfig",
            ),
        ),
        "aws:lambda/alias:Alias": (
            _g(
                FUNCTIONS, "lambda:CreateAlias", "lambda:GetAlias", "lambda:UpdateAlias", "lambda:DeleteAlias"
            ),
        ),
        "aws:lambda/permission:Permission": (
            _g(FUNCTIONS, "lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy"),
        ),
        "aws:lambda/functionUrl:FunctionUrl": (
            _g(
                FUNCTIONS,
                "lambda:CreateFunctionUrlConfig",
                "lambda:GetFunctionUrlConfig",
                "lambda:UpdateFunctionUrlConfig",
                "lambda:DeleteFunctionUrlConfig",
            ),
        ),
        "aws:apigateway/restApi:RestApi": (
            _g(
                REST_APIS,
                "apigateway:GET",
                "apigateway:POST",
                "apigateway:PUT",
                "apigateway:PATCH",
                "apigateway:DELETE",
            ),
        ),
        "aws:apigateway/resource:Resource": (
            _g(REST_APIS, "apigateway:GET", "apigateway:POST", "apigateway:PATCH", "apigateway:DELETE"),
        ),
        "aws:apigateway/method:Method": (
            _g(REST_APIS, "apigateway:GET", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"),
        ),
        "aws:apigateway/integration:Integration": (
            _g(REST_APIS, "apigateway:GET", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"),
        ),
        "aws:apigateway/requestValidator:RequestValidator": (
            _g(REST_APIS, "apigateway:GET", "apigateway:POST", "apigateway:PATCH", "apigateway:DELETE"),
        ),
        "aws:apigateway/deployment:Deployment": (
            _g(REST_APIS, "apigateway:GET", "apigateway:POST", "apigateway:PATCH", "apigateway:DELETE"),
        ),
        "aws:apigateway/stage:Stage": (
            _g(REST_APIS, "apigateway:GET", "apigateway:POST", "apigateway:PATCH", "apigateway:DELETE"),
        ),
        "aws:apigateway/methodSettings:MethodSettings": (
            _g(REST_APIS, "apigateway:GET", "apigateway:PATCH"),
        ),
        "aws:apigateway/account:Account": (
            _g(API_ACCOUNT, "apigateway:GET", "apigateway:PATCH"),
            _pass_role((API_ROLES, ACCOUNT_ROLES), "apigateway.amazonaws.com"),
        ),
        "aws:wafv2/webAcl:WebAcl": (
            _g(
                (WEB_ACLS, MANAGED_RULE_SETS),
                "wafv2:CreateWebACL",
                "wafv2:GetWebACL",
                "wafv2:UpdateWebACL",
                "wafv2:DeleteWebACL",
                "wafv2:TagResource",
                "wafv2:UntagResource",
                "wafv2:ListTagsForResource",
            ),
        ),
        "aws:wafv2/webAclAssociation:WebAclAssociation": (
            _g(
                (WEB_ACLS, STAGES),
                "wafv2:AssociateWebACL",
                "wafv2:DisassociateWebACL",
                "wafv2:GetWebACLForResource",
            ),
            _g(STAGES, "apigateway:SetWebACL"),
        ),
        "aws:sns/topic:Topic": (
            _g(
                TOPICS,
                "sns:CreateTopic",
                "sns:DeleteTopic",
                "sns:GetTopicAttributes",
                "sns:SetTopicAttributes",
                "sns:TagResource",
                "sns:UntagResource",
                "sns:ListTagsForResource",
            ),
        ),
        "aws:sns/topicPolicy:TopicPolicy": (_g(TOPICS, "sns:GetTopicAttributes", "sns:SetTopicAttributes"),),
        "aws:sns/topicSubscription:TopicSubscription": (
            _g(
                TOPICS,
                "sns:Subscribe",
                "sns:Unsubscribe",
                "sns:GetSubscriptionAttributes",
                "sns:SetSubscriptionAttributes",
            ),
        ),
        "aws:cloudwatch/metricAlarm:MetricAlarm": (
            _g(
                ALARMS,
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:DeleteAlarms",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:TagResource",
                "cloudwatch:UntagResource",
                "cloudwatch:ListTagsForResource",
            ),
        ),
        "aws:cloudwatch/eventRule:EventRule": (
            _g(
                EVENT_RULES,
                "events:PutRule",
                "events:DescribeRule",
                "events:DeleteRule",
                "events:ListTargetsByRule",
                "events:TagResource",
                "events:UntagResource",
                "events:ListTagsForResource",
            ),
        ),
        "aws:cloudwatch/eventTarget:EventTarget": (
            _g(EVENT_RULES, "events:PutTargets", "events:RemoveTargets", "events:ListTargetsByRule"),
        ),
        "aws:guardduty/malwareProtectionPlan:MalwareProtectionPlan": (
            _g(
                MALWARE_PROTECTION_PLANS,
                "guardduty:CreateMalwareProtectionPlan",
                "guardduty:GetMalwareProtectionPlan",
                "guardduty:UpdateMalwareProtectionPlan",
                "guardduty:DeleteMalwareProtectionPlan",
                "guardduty:TagResource",
                "guardduty:UntagResource",
                "guardduty:ListTagsForResource",
            ),
            _pass_role(MALWARE_SCAN_ROLES, policies.GUARDDUTY_MALWARE_PRINCIPAL),
        ),
        "aws:cloudwatch/dashboard:Dashboard": (
            _g(
                DASHBOARDS,
                "cloudwatch:PutDashboard",
                "cloudwatch:GetDashboard",
                "cloudwatch:DeleteDashboards",
            ),
        ),
    }
)
"""Resource type -> what the deployer needs to create, read, update, tag and delete it."""

BASELINE: Final = (
    # The provider checks its credentials and reads the account and partition (aws.get_caller_identity).
    _g(ANY, "sts:GetCallerIdentity"),
    # lib.zones: the region's zones, by ID (aws.get_availability_zones).
    _g(ANY, "ec2:DescribeAvailabilityZones"),
)
"""What the Pulumi AWS provider and the program's data sources need whatever the resources are."""

VERIFIED: Final = frozenset({"logs:DescribeLogGroups", "cloudwatch:DescribeAlarms", "apigateway:SetWebACL"})
"""Resource scoping checked against AWS documentation while writing this table:
``logs:DescribeLogGroups`` needs ``log-group:*`` (CloudWatch Logs user guide, "Logs sent to CloudWatch
Logs"); ``cloudwatch:DescribeAlarms`` scoped to alarm ARNs returns metric alarms (only composite
alarms need ``*``: DescribeAlarms API reference); WAF association with a REST API stage takes
``apigateway:SetWebACL`` on the stage. The rest follows the Service Authorization Reference's
resource types as remembered, not re-checked action by action."""


def grants(types: Iterable[str]) -> list[Grant]:
    """The baseline and every grant of ``types``; unknown types are an error, never silently skipped."""
    unknown = sorted(set(types) - set(TYPE_GRANTS))
    if unknown:
        raise KeyError(f"no deployer permissions for {', '.join(unknown)}: add them to TYPE_GRANTS")
    return [*BASELINE, *(grant for type_token in sorted(set(types)) for grant in TYPE_GRANTS[type_token])]


def statements(types: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Every statement (with placeholders) for ``types`` (default: every type in ``TYPE_GRANTS``).

    Grants with the same resources and condition are merged into one statement; actions and
    statements are sorted, so the output is stable.
    """
    merged: dict[str, Grant] = {}
    actions: dict[str, set[str]] = {}
    for grant in grants(TYPE_GRANTS if types is None else types):
        merged.setdefault(grant.key(), grant)
        actions.setdefault(grant.key(), set()).update(grant.actions)
    result = []
    for index, key in enumerate(sorted(merged, key=lambda k: (sorted(merged[k].resources), k))):
        grant = merged[key]
        statement: dict[str, Any] = {
            "Sid": f"Deploy{index:02d}",
            "Effect": "Allow",
            "Action": sorted(actions[key]),
            "Resource": sorted(grant.resources),
        }
        if grant.condition:
            statement["Condition"] = {op: dict(values) for op, values in grant.condition.items()}
        result.append(statement)
    return result


MANAGED_POLICY_MAX_CHARACTERS: Final = 6144
"""IAM's limit on a customer managed policy, whitespace not counted (IAM quotas page)."""
WORST_CASE: Final = MappingProxyType(
    {"partition": "aws-us-gov", "account_id": "123456789012", "region": "ap-southeast-7"}
)
"""The longest values the placeholders take (partition and region names), for the size check."""


def policy_size(document: Mapping[str, Any]) -> int:
    """Characters IAM counts against the limit: the JSON without whitespace outside strings."""
    return len(json.dumps(document, separators=(",", ":")))


def policy_documents(types: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The statements packed, in order, into as few managed policies as stay under IAM's size limit.

    Sizes are measured after rendering with ``WORST_CASE`` values, so a rendered policy never
    exceeds the limit in any partition or region.
    """
    documents: list[dict[str, Any]] = []
    for statement in statements(types):
        candidate = [*documents[-1]["Statement"], statement] if documents else [statement]
        if documents and _fits(candidate):
            documents[-1]["Statement"] = candidate
        elif _fits([statement]):
            documents.append({"Version": "2012-10-17", "Statement": [statement]})
        else:
            raise ValueError(
                f"statement {statement['Sid']} alone exceeds {MANAGED_POLICY_MAX_CHARACTERS} characters"
            )
    return documents


def _fits(statement_list: list[dict[str, Any]]) -> bool:
    document = render({"Version": "2012-10-17", "Statement": statement_list}, **WORST_CASE)
    return policy_size(document) <= MANAGED_POLICY_MAX_CHARACTERS


def render(
    document: Mapping[str, Any], *, account_id: str, region: str, partition: str = "aws"
) -> dict[str, Any]:
    """The document for one account and region: placeholders replaced."""
    text = json.dumps(document)
    for placeholder, value in zip(PLACEHOLDERS, (partition, account_id, region), strict=True):
        text = text.replace(placeholder, value)
    rendered: dict[str, Any] = json.loads(text)
    return rendered


def to_json(document: Mapping[str, Any]) -> str:
    """A file's exact text."""
    return json.dumps(document, indent=2) + "\n"


FILE_PREFIX: Final = "deployer-policy-"


def file_names(count: int) -> list[str]:
    """``deployer-policy-1.json`` ... one per managed policy."""
    return [f"{FILE_PREFIX}{number}.json" for number in range(1, count + 1)]


def write(directory: Path, documents: Sequence[Mapping[str, Any]]) -> list[Path]:
    """Write one file per document into ``directory``, removing files of an earlier, longer set."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob(f"{FILE_PREFIX}*.json"):
        stale.unlink()
    paths = [directory / name for name in file_names(len(documents))]
    for path, document in zip(paths, documents, strict=True):
        path.write_text(to_json(document))
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write the deployer's managed policies (templates, or rendered for one account)."
    )
    parser.add_argument("--output-dir", type=Path, required=True, help="directory the files are written to")
    parser.add_argument("--account-id", help="render for this 12-digit account (with --region)")
    parser.add_argument("--region", help="render for this region (with --account-id)")
    parser.add_argument("--partition", default="aws", help="ARN partition; default aws")
    args = parser.parse_args(argv)
    if (args.account_id is None) != (args.region is None):
        parser.error("--account-id and --region go together")
    documents = policy_documents()
    if args.account_id is not None:
        if not (len(args.account_id) == 12 and args.account_id.isdigit()):
            parser.error(f"--account-id must be 12 digits; got {args.account_id!r}")
        documents = [
            render(document, account_id=args.account_id, region=args.region, partition=args.partition)
            for document in documents
        ]
    for path in write(args.output_dir, documents):
        sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
