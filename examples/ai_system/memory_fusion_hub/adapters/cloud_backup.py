"""Off-site snapshots: Azure Blob Storage when available, Google Cloud Storage otherwise."""
import datetime
import json
import os

try:
    from azure.storage.blob import BlobServiceClient
except ImportError:
    BlobServiceClient = None


def _name() -> str:
    return "mfh-snapshot-" + datetime.datetime.utcnow().strftime("%Y%m%dT%H%M%S") + ".json"


def _blob_service() -> "BlobServiceClient":
    conn = os.environ.get("AZURE_STORAGE_CONNECTION_STRING")
    if conn:
        return BlobServiceClient.from_connection_string(conn)
    from azure.identity import DefaultAzureCredential

    return BlobServiceClient(os.environ["AZURE_BLOB_URL"], credential=DefaultAzureCredential())


def backup_to_azure(container: str, payload: bytes) -> str:
    client = _blob_service()
    name = _name()
    client.get_blob_client(container=container, blob=name).upload_blob(payload)
    return name


def backup_to_gcs(bucket: str, payload: bytes) -> str:
    from google.cloud import storage

    name = _name()
    storage.Client().bucket(bucket).blob(name).upload_from_string(payload)
    return name


def backup_snapshot(bucket: str, rows) -> str:
    payload = json.dumps(rows).encode("utf-8")
    if BlobServiceClient is not None and (os.environ.get("AZURE_STORAGE_CONNECTION_STRING")
                                          or os.environ.get("AZURE_BLOB_URL")):
        return backup_to_azure(bucket, payload)
    return backup_to_gcs(bucket, payload)
