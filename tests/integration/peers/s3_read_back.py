"""Lists and reads back what landed in an S3 bucket with boto3, as a client
independent of genesys-bulk's own, for the S3 store's tests.

  s3_read_back.py ENDPOINT BUCKET PREFIX
Credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. Prints a JSON
list, one entry per object under PREFIX in key order:
  {"key", "size", "sha256" (hex of the bytes read back), "etag"}
Run with Debian's /usr/bin/python3 (python3-boto3).
"""
import hashlib
import json
import sys

import boto3
from botocore.config import Config


def main():
    endpoint, bucket, prefix = sys.argv[1], sys.argv[2], sys.argv[3]
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"]
            digest = hashlib.sha256()
            size = 0
            for piece in iter(lambda: body.read(1 << 20), b""):
                digest.update(piece)
                size += len(piece)
            out.append({"key": item["Key"], "size": size, "sha256": digest.hexdigest(), "etag": item["ETag"]})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
