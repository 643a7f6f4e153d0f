"""Old single-file PC2 utils, superseded by the utils/ package next to it.

Python never imports this file as ``utils`` (the package wins) nor as
``pc2_code.agents.utils``.
"""
import boto3
import requests


def upload_logs(bucket, path):
    boto3.client("s3").upload_file(path, bucket, path)


def ping(url):
    return requests.get(url, timeout=3).ok
