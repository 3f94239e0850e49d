"""bench_s3's second reference: boto3 (an independent S3 client, Debian's
python3-boto3) uploading the same files to the same server, one PUT or a
multipart upload by the same threshold and part size.

  boto3_upload.py ENDPOINT BUCKET THRESHOLD_MIB PART_MIB CONCURRENCY FILE...
Prints the rate in MiB/s (interpreter start-up not counted).
"""
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config


def main():
    endpoint, bucket = sys.argv[1], sys.argv[2]
    threshold, part, concurrency = (int(a) for a in sys.argv[3:6])
    files = sys.argv[6:]
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, max_pool_connections=max(10, concurrency)),
    )
    transfer = TransferConfig(
        multipart_threshold=threshold << 20, multipart_chunksize=part << 20, max_concurrency=1, use_threads=False
    )
    total = sum(os.path.getsize(f) for f in files)
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(lambda f: s3.upload_file(f, bucket, "bench/boto3/" + os.path.basename(f), Config=transfer), files))
    print(f"{total / (1 << 20) / (time.monotonic() - began):.1f}")


if __name__ == "__main__":
    main()
