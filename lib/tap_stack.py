"""TapStack: the whole deployment, wiring the components through their typed arguments.

It owns the explicit AWS provider (region pinned, default tags) that every child uses, reads the
account and partition from data sources, creates the customer-managed key in KMS mode, and hands
each component exactly what it needs. Only ``tap.py`` exports; this class exposes ``outputs``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Final

import pulumi
import pulumi_aws as aws

from lib import naming, policies
from lib.api_gateway_stack import ApiGatewayStack, ApiGatewayStackArgs
from lib.catalogue_stack import CatalogueStack, CatalogueStackArgs
from lib.cloudwatch_stack import CloudWatchStack, CloudWatchStackArgs
from lib.config import ConfigError, validate_args
from lib.ingest_stack import IngestStack, IngestStackArgs
from lib.lambda_asset import HANDLER, PROCESSOR_HANDLER, RECONCILER_HANDLER, lambda_archive, package_files
from lib.lambda_stack import LambdaStack, LambdaStackArgs
from lib.malware_scan_stack import MalwareScanStack, MalwareScanStackArgs
from lib.networking_stack import NetworkingStack, NetworkingStackArgs
from lib.s3_stack import S3Stack, S3StackArgs
from lib.settings import EncryptionMode, TapStackArgs
from lib.zones import choose_zone_ids

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["TapStack", "TapStackArgs"]

KMS_DELETION_WINDOW_DAYS: Final = 30


class TapStack(pulumi.ComponentResource):
    """The secure document API: network, storage, catalogue, function, API, monitoring."""

    provider: aws.Provider
    args: TapStackArgs
    account_id: pulumi.Output[str]
    partition: pulumi.Output[str]
    availability_zone_ids: pulumi.Output[list[str]]
    kms_key_arn: pulumi.Output[str] | None
    networking: NetworkingStack
    storage: S3Stack
    catalogue: CatalogueStack
    ingest: IngestStack
    malware_scan: MalwareScanStack | None
    compute: LambdaStack
    api: ApiGatewayStack
    monitoring: CloudWatchStack

    def __init__(self, name: str, args: TapStackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        problems = validate_args(args)
        if problems:
            raise ConfigError(problems)
        super().__init__("tap:index:TapStack", name, None, opts)
        self.args = args
        env = args.environment_suffix
        code = lambda_archive(
            package_files(
                args.lambda_package_dir,
                args.lambda_dependencies_dir,
                handlers=(HANDLER, RECONCILER_HANDLER, PROCESSOR_HANDLER),
            )
        )

        self.provider = aws.Provider(
            f"{name}-aws",
            region=args.region,
            default_tags=aws.ProviderDefaultTagsArgs(tags=dict(default_tags(args))),
            opts=pulumi.ResourceOptions(parent=self),
        )
        child = pulumi.ResourceOptions(parent=self, provider=self.provider)
        components = pulumi.ResourceOptions(parent=self, providers=[self.provider])
        invoke = pulumi.InvokeOutputOptions(parent=self, provider=self.provider)
        self.account_id = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke)
        self.partition = partition.partition
        # Regular zones only (Local and Wavelength Zones need an opt-in); chosen by zone ID.
        zones = aws.get_availability_zones_output(
            state="available",
            filters=[
                aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])
            ],
            opts=invoke,
        )
        self.availability_zone_ids = pulumi.Output.all(zones.zone_ids, zones.names).apply(
            lambda values: list(
                choose_zone_ids(
                    list(zip(values[0], values[1], strict=True)), override=args.availability_zone_ids
                )
            )
        )

        self.kms_key_arn = None
        if args.encryption_mode is EncryptionMode.KMS:
            key = aws.kms.Key(
                f"{name}-key",
                description=f"Secure document API ({env}): documents, catalogue, logs, queues, alarm topic",
                enable_key_rotation=True,
                deletion_window_in_days=KMS_DELETION_WINDOW_DAYS,
                policy=pulumi.Output.all(self.partition, self.account_id).apply(
                    lambda values: json.dumps(
                        policies.kms_key_policy(
                            partition=values[0],
                            account_id=values[1],
                            region=args.region,
                            eventbridge_publishes=args.enable_malware_scanning,
                        )
                    )
                ),
                opts=child,
            )
            aws.kms.Alias(
                f"{name}-key-alias",
                name=f"alias/{naming.function_name(env)}",
                target_key_id=key.key_id,
                opts=child,
            )
            self.kms_key_arn = key.arn

        documents_bucket = self.account_id.apply(
            lambda account: naming.documents_bucket_name(env, account, args.region)
        )
        logs_bucket = self.account_id.apply(
            lambda account: naming.access_logs_bucket_name(env, account, args.region)
        )
        ingest_bucket = self.account_id.apply(
            lambda account: naming.ingest_bucket_name(env, account, args.region)
        )
        # The endpoint is created before the buckets (their policy needs its id), so its policy names
        # the buckets (the vault, the access logs, the ingest bucket) by their deterministic ARNs.
        bucket_arns = pulumi.Output.all(self.partition, documents_bucket, logs_bucket, ingest_bucket).apply(
            lambda values: [naming.bucket_arn(values[0], bucket) for bucket in values[1:]]
        )
        self.networking = NetworkingStack(
            f"{name}-networking",
            NetworkingStackArgs(
                environment_suffix=env,
                region=args.region,
                availability_zone_ids=self.availability_zone_ids,
                account_id=self.account_id,
                partition=self.partition,
                service_name_prefix=partition.reverse_dns_prefix,
                bucket_arns=bucket_arns,
                log_retention_days=args.log_retention_days,
                kms_key_arn=self.kms_key_arn,
            ),
            opts=components,
        )
        # The bucket policy is created before the role (the role's policy needs the bucket), so it
        # names the role by its deterministic ARN; LambdaStack creates the role under that name.
        lambda_role_arn = pulumi.Output.all(self.partition, self.account_id).apply(
            lambda values: naming.role_arn(values[0], values[1], naming.lambda_role_name(env))
        )
        reconciler_role_arn = pulumi.Output.all(self.partition, self.account_id).apply(
            lambda values: naming.role_arn(values[0], values[1], naming.reconciler_role_name(env))
        )
        # Both bucket policies name the processor's role, which IngestStack creates after the buckets
        # (its policy names them): by its deterministic ARN too.
        processor_role_arn = pulumi.Output.all(self.partition, self.account_id).apply(
            lambda values: naming.role_arn(values[0], values[1], naming.processor_role_name(env))
        )
        # With the malware gate, the ingest policy also names GuardDuty's role, which MalwareScanStack
        # creates after the processor (its rule targets it): by its deterministic ARN too.
        scan_role_arn = (
            pulumi.Output.all(self.partition, self.account_id).apply(
                lambda values: naming.role_arn(values[0], values[1], naming.malware_scan_role_name(env))
            )
            if args.enable_malware_scanning
            else None
        )
        self.storage = S3Stack(
            f"{name}-storage",
            S3StackArgs(
                documents_bucket_name=documents_bucket,
                access_logs_bucket_name=logs_bucket,
                account_id=self.account_id,
                vpc_endpoint_id=self.networking.s3_endpoint_id,
                lambda_role_arn=lambda_role_arn,
                reconciler_role_arn=reconciler_role_arn,
                ingest_bucket_name=ingest_bucket,
                processor_role_arn=processor_role_arn,
                noncurrent_version_expiration_days=args.noncurrent_version_expiration_days,
                access_log_expiration_days=args.access_log_expiration_days,
                encryption_mode=args.encryption_mode,
                kms_key_arn=self.kms_key_arn,
                break_glass_principal_arns=args.break_glass_principal_arns,
                force_destroy=args.force_destroy,
                ingest_cors_origins=args.ingest_cors_origins,
                malware_scan_role_arn=scan_role_arn,
            ),
            opts=components,
        )
        # The catalogue comes before the function (whose role and environment name its table) and
        # so before monitoring: its failure alarm names the alarm topic by its deterministic ARN,
        # under which CloudWatchStack creates the topic.
        alarm_topic_arn = pulumi.Output.all(self.partition, self.account_id).apply(
            lambda values: naming.topic_arn(values[0], args.region, values[1], naming.alarm_topic_name(env))
        )
        self.catalogue = CatalogueStack(
            f"{name}-catalogue",
            CatalogueStackArgs(
                environment_suffix=env,
                region=args.region,
                account_id=self.account_id,
                service_name_prefix=partition.reverse_dns_prefix,
                vpc_id=self.networking.vpc_id,
                private_route_table_id=self.networking.private_route_table_id,
                subnet_ids=self.networking.private_subnet_ids,
                security_group_id=self.networking.lambda_security_group_id,
                code=code,
                bucket_name=self.storage.documents_bucket_name,
                bucket_arn=self.storage.documents_bucket_arn,
                alarm_topic_arn=alarm_topic_arn,
                log_retention_days=args.log_retention_days,
                kms_key_arn=self.kms_key_arn,
                # forceDestroy marks a throwaway stack: `pulumi destroy` must be able to delete its
                # table too. Every other stack keeps deletion protection.
                deletion_protection=not args.force_destroy,
            ),
            opts=components,
        )
        # The processor needs the ingest bucket, the vault and the table; nothing needs it but the
        # bucket policies (deterministic ARN above) and monitoring. Its alarm names the topic as the
        # catalogue's does.
        self.ingest = IngestStack(
            f"{name}-ingest",
            IngestStackArgs(
                environment_suffix=env,
                region=args.region,
                account_id=self.account_id,
                code=code,
                subnet_ids=self.networking.private_subnet_ids,
                security_group_id=self.networking.lambda_security_group_id,
                ingest_bucket_name=self.storage.ingest_bucket_name,
                ingest_bucket_arn=self.storage.ingest_bucket_arn,
                documents_bucket_name=self.storage.documents_bucket_name,
                documents_bucket_arn=self.storage.documents_bucket_arn,
                catalogue_table_name=self.catalogue.table_name,
                catalogue_table_arn=self.catalogue.table_arn,
                alarm_topic_arn=alarm_topic_arn,
                log_retention_days=args.log_retention_days,
                allowed_content_types=args.allowed_content_types,
                max_upload_bytes=args.max_upload_bytes,
                kms_key_arn=self.kms_key_arn,
                malware_scanning=args.enable_malware_scanning,
            ),
            opts=components,
        )
        self.malware_scan = None
        threat_rule_arns: pulumi.Output[list[str]] | None = None
        if args.enable_malware_scanning:
            self.malware_scan = MalwareScanStack(
                f"{name}-malware-scan",
                MalwareScanStackArgs(
                    environment_suffix=env,
                    region=args.region,
                    account_id=self.account_id,
                    partition=self.partition,
                    ingest_bucket_name=self.storage.ingest_bucket_name,
                    ingest_bucket_arn=self.storage.ingest_bucket_arn,
                    ingest_bucket_policy=self.storage.ingest_bucket_policy,
                    processor_function_name=self.ingest.processor_function_name,
                    processor_function_arn=self.ingest.processor_function_arn,
                    alarm_topic_arn=alarm_topic_arn,
                    kms_key_arn=self.kms_key_arn,
                ),
                opts=components,
            )
            # The alarm topic's policy lets the threat rule publish; named by its deterministic ARN.
            threat_rule_arns = pulumi.Output.all(self.partition, self.account_id).apply(
                lambda values: [
                    naming.event_rule_arn(
                        values[0], args.region, values[1], naming.threat_notification_rule_name(env)
                    )
                ]
            )
        self.compute = LambdaStack(
            f"{name}-compute",
            LambdaStackArgs(
                environment_suffix=env,
                region=args.region,
                code=code,
                bucket_name=self.storage.documents_bucket_name,
                bucket_arn=self.storage.documents_bucket_arn,
                subnet_ids=self.networking.private_subnet_ids,
                security_group_id=self.networking.lambda_security_group_id,
                log_retention_days=args.log_retention_days,
                max_document_bytes=args.max_document_bytes,
                allowed_content_types=args.allowed_content_types,
                catalogue_table_name=self.catalogue.table_name,
                catalogue_table_arn=self.catalogue.table_arn,
                ingest_bucket_name=self.storage.ingest_bucket_name,
                ingest_bucket_arn=self.storage.ingest_bucket_arn,
                max_upload_bytes=args.max_upload_bytes,
                owner_scope=str(args.owner_scope),
                kms_key_arn=self.kms_key_arn,
                memory_mb=args.lambda_memory_mb,
                reserved_concurrency=args.reserved_concurrency,
                enable_function_url=args.enable_function_url,
                enable_snap_start=args.enable_snap_start,
                malware_scanning=args.enable_malware_scanning,
            ),
            opts=components,
        )
        self.api = ApiGatewayStack(
            f"{name}-api",
            ApiGatewayStackArgs(
                environment_suffix=env,
                region=args.region,
                partition=self.partition,
                function_name=self.compute.function_name,
                function_invoke_arn=self.compute.invoke_arn,
                function_qualifier=self.compute.qualifier,
                log_retention_days=args.log_retention_days,
                throttling_rate_limit=args.throttling_rate_limit,
                throttling_burst_limit=args.throttling_burst_limit,
                kms_key_arn=self.kms_key_arn,
                logging_level=args.api_logging_level,
                enable_waf=args.enable_waf,
                waf_rate_limit=args.waf_rate_limit,
                manage_account=args.manage_api_gateway_account,
            ),
            opts=components,
        )
        self.monitoring = CloudWatchStack(
            f"{name}-monitoring",
            CloudWatchStackArgs(
                environment_suffix=env,
                region=args.region,
                account_id=self.account_id,
                partition=self.partition,
                function_name=self.compute.function_name,
                function_timeout_seconds=self.compute.timeout_seconds,
                api_name=self.api.rest_api_name,
                stage_name=self.api.stage_name,
                lambda_log_group_arn=self.compute.log_group_arn,
                kms_key_arn=self.kms_key_arn,
                alarm_email=args.alarm_email,
                auditor_principal_arns=args.auditor_principal_arns,
                reconciler_function_name=self.catalogue.reconciler_function_name,
                reconciler_failure_queue_name=naming.reconciler_failure_queue_name(env),
                processor_function_name=self.ingest.processor_function_name,
                processor_failure_queue_name=self.ingest.failure_queue_name,
                publishing_rule_arns=threat_rule_arns,
            ),
            opts=components,
        )
        self.register_outputs(dict(self.outputs))

    @property
    def outputs(self) -> dict[str, pulumi.Input[object]]:
        """Every stack output, keyed by its exported (camelCase) name."""
        return {
            "region": self.args.region,
            "environmentSuffix": self.args.environment_suffix,
            "encryptionMode": self.args.encryption_mode.value,
            "maxDocumentBytes": self.args.max_document_bytes,
            "vpcId": self.networking.vpc_id,
            "vpcCidrBlock": self.networking.vpc_cidr_block,
            "availabilityZoneIds": self.availability_zone_ids,
            "publicSubnetIds": self.networking.public_subnet_ids,
            "privateSubnetIds": self.networking.private_subnet_ids,
            "lambdaSecurityGroupId": self.networking.lambda_security_group_id,
            "s3VpcEndpointId": self.networking.s3_endpoint_id,
            "flowLogGroupName": self.networking.flow_log_group_name,
            "documentsBucketName": self.storage.documents_bucket_name,
            "documentsBucketArn": self.storage.documents_bucket_arn,
            "accessLogsBucketName": self.storage.access_logs_bucket_name,
            "accessLogsBucketArn": self.storage.access_logs_bucket_arn,
            "ingestBucketName": self.storage.ingest_bucket_name,
            "ingestBucketArn": self.storage.ingest_bucket_arn,
            "catalogueTableName": self.catalogue.table_name,
            "catalogueTableArn": self.catalogue.table_arn,
            "dynamodbVpcEndpointId": self.catalogue.dynamodb_endpoint_id,
            "reconcilerFunctionName": self.catalogue.reconciler_function_name,
            "reconcilerRoleArn": self.catalogue.reconciler_role_arn,
            "reconcilerLogGroupName": self.catalogue.reconciler_log_group_name,
            "reconcilerFailureQueueUrl": self.catalogue.failure_queue_url,
            "processorFunctionName": self.ingest.processor_function_name,
            "processorRoleArn": self.ingest.processor_role_arn,
            "processorLogGroupName": self.ingest.processor_log_group_name,
            "processorFailureQueueUrl": self.ingest.failure_queue_url,
            "lambdaFunctionName": self.compute.function_name,
            "lambdaFunctionArn": self.compute.function_arn,
            "lambdaRoleArn": self.compute.role_arn,
            "lambdaFunctionUrl": self.compute.function_url,
            "lambdaLogGroupName": self.compute.log_group_name,
            "apiId": self.api.rest_api_id,
            "apiStageName": self.api.stage_name,
            "apiUrl": self.api.api_url,
            "apiAccessLogGroupName": self.api.access_log_group_name,
            "apiExecutionLogGroupName": self.api.execution_log_group_name,
            "webAclArn": self.api.web_acl_arn,
            "auditorRoleArn": self.monitoring.auditor_role_arn,
            "alarmTopicArn": self.monitoring.alarm_topic_arn,
            "dashboardName": self.monitoring.dashboard_name,
            "kmsKeyArn": self.kms_key_arn,
            "malwareScanning": self.args.enable_malware_scanning,
            "malwareProtectionPlanArn": self.malware_scan.plan_arn if self.malware_scan else None,
        }


def default_tags(args: TapStackArgs) -> Mapping[str, str]:
    """The provider's default tags: the configured ones plus the three the program always sets."""
    return {
        **args.tags,
        "Environment": args.environment_suffix,
        "Project": naming.PROJECT_NAME,
        "ManagedBy": "pulumi",
    }
