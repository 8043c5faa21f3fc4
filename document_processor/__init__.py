"""The document-processing service that runs inside the Lambda function.

Imports nothing from ``lib/`` (infrastructure) and keeps module-level imports light: cold start is a feature.
"""
