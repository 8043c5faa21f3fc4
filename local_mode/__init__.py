"""Local mode: the unchanged Lambda handlers served on loopback, with S3, DynamoDB and SQS emulated by moto.

``python -m local_mode`` starts moto's threaded server, creates the documents bucket with the settings
the deployed bucket has, the catalogue table and the queue the bucket's event notifications go to, and
serves a small API Gateway (REST, proxy v1) adapter in front of
``document_processor.handler.lambda_handler``; a background thread delivers the S3 events to
``document_processor.reconciler.lambda_handler`` in the shape Lambda receives them. Both reach the
emulator only through the standard ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL_DYNAMODB`` variables, so
they have no local-mode branches.
"""
