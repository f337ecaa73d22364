"""Shared fixtures. The S3 server fixtures live in s3server.py so this file stays easy to merge."""

from s3server import bucket, s3, s3_env, s3_server  # noqa: F401 - fixtures, used by name
