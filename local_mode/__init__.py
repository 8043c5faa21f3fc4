"""Local mode: the unchanged Lambda handler served over HTTP on loopback, with S3 emulated by moto.

``python -m local_mode`` starts moto's threaded S3 server, creates the documents bucket with the
settings the deployed bucket has, and serves a small API Gateway (REST, proxy v1) adapter in front of
``document_processor.handler.lambda_handler``. The handler reaches the emulator only through the
standard ``AWS_ENDPOINT_URL_S3`` variable, so it has no local-mode branches.
"""
