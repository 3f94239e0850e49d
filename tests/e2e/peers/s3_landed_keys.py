"""Reads back one job's objects from S3 with boto3, independently of
genesys-bulk, for the S3 sink's end-to-end test.

  s3_landed_keys.py ENDPOINT BUCKET JOB_PREFIX KEY_FIELD
JOB_PREFIX is PREFIX/TYPE/JOB_ID/. Credentials from AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY. Prints one JSON object:
  {"objects": {key: sha256}, "keys": [record keys, duplicates kept],
   "quarantined": records in quarantine objects, "manifest": the parsed
   _manifest.json or null}
Records objects are *.ndjson / *.ndjson.gz; those under _quarantine/ hold
quarantined records (counted, one per line).
Run with Debian's /usr/bin/python3 (python3-boto3).
"""
import gzip
import hashlib
import json
import sys

import boto3
from botocore.config import Config


def main():
    endpoint, bucket, prefix, key_field = sys.argv[1:5]
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    out = {"objects": {}, "keys": [], "quarantined": 0, "manifest": None}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            name = item["Key"]
            data = s3.get_object(Bucket=bucket, Key=name)["Body"].read()
            out["objects"][name] = hashlib.sha256(data).hexdigest()
            if name.endswith("_manifest.json"):
                out["manifest"] = json.loads(data)
                continue
            if name.endswith(".gz"):
                data = gzip.decompress(data)
            lines = [line for line in data.split(b"\n") if line]
            if "/_quarantine/" in name:
                out["quarantined"] += len(lines)
                continue
            for line in lines:
                out["keys"].append(json.loads(line)[key_field])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
