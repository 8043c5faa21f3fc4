"""Local mode: the unchanged Lambda handlers served on loopback, with S3, DynamoDB and SQS emulated by moto.

``python -m local_mode`` starts moto's threaded server, creates the documents bucket and the large
uploads' ingest bucket with the settings the deployed buckets have, the catalogue table and one queue per
bucket for its event notifications, and serves a small API Gateway (REST, proxy v1) adapter in front of
``document_processor.handler.lambda_handler``; one background thread per queue delivers the S3 events in
the shape Lambda receives them: the documents bucket's to ``document_processor.reconciler.lambda_handler``,
the ingest bucket's to ``document_processor.processor.lambda_handler``. All three reach the emulator only
through the standard ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL_DYNAMODB`` variables, so they have no
local-mode branches, and the presigned URLs the API hands out point at the emulator too.
"""
