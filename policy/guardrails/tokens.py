"""pulumi-aws v7 type tokens the policies inspect.

v7 renamed the S3 ``*V2`` resources to their plain names (``BucketV2`` -> ``Bucket``) and kept the
``V2`` tokens as deprecated aliases; a stack may use either, so the policies match both.
"""

from __future__ import annotations

from typing import Final

BUCKET: Final = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
BUCKET_ACL: Final = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")
BUCKET_POLICY: Final = ("aws:s3/bucketPolicy:BucketPolicy",)
BUCKET_PUBLIC_ACCESS_BLOCK: Final = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)
ACCOUNT_PUBLIC_ACCESS_BLOCK: Final = ("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock",)
BUCKET_OWNERSHIP_CONTROLS: Final = ("aws:s3/bucketOwnershipControls:BucketOwnershipControls",)
BUCKET_VERSIONING: Final = (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
)
BUCKET_ENCRYPTION: Final = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
BUCKET_LOGGING: Final = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
BUCKET_LIFECYCLE: Final = (
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
)

LAMBDA_FUNCTION: Final = ("aws:lambda/function:Function",)
LAMBDA_PERMISSION: Final = ("aws:lambda/permission:Permission",)
LAMBDA_FUNCTION_URL: Final = ("aws:lambda/functionUrl:FunctionUrl",)
LAMBDA_EVENT_INVOKE_CONFIG: Final = ("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",)
BUCKET_NOTIFICATION: Final = ("aws:s3/bucketNotification:BucketNotification",)

DYNAMODB_TABLE: Final = ("aws:dynamodb/table:Table",)
SQS_QUEUE: Final = ("aws:sqs/queue:Queue",)

REST_API: Final = ("aws:apigateway/restApi:RestApi",)
API_METHOD: Final = ("aws:apigateway/method:Method",)
API_INTEGRATION: Final = ("aws:apigateway/integration:Integration",)
API_STAGE: Final = ("aws:apigateway/stage:Stage",)
API_METHOD_SETTINGS: Final = ("aws:apigateway/methodSettings:MethodSettings",)
WEB_ACL: Final = ("aws:wafv2/webAcl:WebAcl",)
WEB_ACL_ASSOCIATION: Final = ("aws:wafv2/webAclAssociation:WebAclAssociation",)

VPC: Final = ("aws:ec2/vpc:Vpc",)
SUBNET: Final = ("aws:ec2/subnet:Subnet",)
ROUTE: Final = ("aws:ec2/route:Route",)
ROUTE_TABLE: Final = ("aws:ec2/routeTable:RouteTable",)
ROUTE_TABLE_ASSOCIATION: Final = ("aws:ec2/routeTableAssociation:RouteTableAssociation",)
NAT_GATEWAY: Final = ("aws:ec2/natGateway:NatGateway",)
VPC_ENDPOINT: Final = ("aws:ec2/vpcEndpoint:VpcEndpoint",)
VPC_ENDPOINT_POLICY: Final = ("aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy",)
FLOW_LOG: Final = ("aws:ec2/flowLog:FlowLog",)
SECURITY_GROUP: Final = ("aws:ec2/securityGroup:SecurityGroup",)
DEFAULT_SECURITY_GROUP: Final = ("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",)
SECURITY_GROUP_RULE: Final = ("aws:ec2/securityGroupRule:SecurityGroupRule",)
SECURITY_GROUP_INGRESS_RULE: Final = ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",)
SECURITY_GROUP_EGRESS_RULE: Final = ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",)

LOG_GROUP: Final = ("aws:cloudwatch/logGroup:LogGroup",)
METRIC_ALARM: Final = ("aws:cloudwatch/metricAlarm:MetricAlarm",)
SNS_TOPIC: Final = ("aws:sns/topic:Topic",)

KMS_KEY: Final = ("aws:kms/key:Key",)
KMS_KEY_POLICY: Final = ("aws:kms/keyPolicy:KeyPolicy",)

IAM_ROLE: Final = ("aws:iam/role:Role",)
IAM_ROLE_POLICY: Final = ("aws:iam/rolePolicy:RolePolicy",)
IAM_POLICY_DOCUMENTS: Final = (
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/policy:Policy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
"""Resources whose ``policy`` property is an identity-based policy document."""
IAM_POLICY_ATTACHMENTS: Final = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
)
