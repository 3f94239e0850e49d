"""Signs requests with botocore's own SigV4 signers, for sigv4_test.cpp.

Reads a JSON list of requests on stdin:
  {"method", "url" (path already URI-encoded, as sent), "headers": [[name, value], ...],
   "body_hex", "region", "service", "access_key", "secret_key", "token", "timestamp" ("20150830T123600Z"),
   "s3": true for botocore.auth.S3SigV4Auth, false for SigV4Auth}
and writes a JSON list: for each request, the headers botocore set, as
[[name, value], ...] with lowercase names, in this order: x-amz-date,
x-amz-security-token (with a token), x-amz-content-sha256 (S3 only),
authorization. Run with Debian's /usr/bin/python3 (python3-botocore).
"""
import datetime
import json
import sys

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


class _FixedClock:
    """Stands in for the datetime module inside botocore.auth: utcnow() is fixed."""

    def __init__(self, when):
        fixed = when

        class _DateTime(datetime.datetime):
            @classmethod
            def utcnow(cls):
                return fixed

            @classmethod
            def now(cls, tz=None):
                return fixed if tz is None else fixed.replace(tzinfo=tz)

        self.datetime = _DateTime
        self.timezone = datetime.timezone
        self.timedelta = datetime.timedelta


def sign(case):
    when = datetime.datetime.strptime(case["timestamp"], "%Y%m%dT%H%M%SZ")
    botocore.auth.datetime = _FixedClock(when)
    # Newer botocore reads the time through get_current_datetime().
    if hasattr(botocore.auth, "get_current_datetime"):
        botocore.auth.get_current_datetime = lambda *a, **k: when
    credentials = Credentials(case["access_key"], case["secret_key"], case["token"] or None)
    signer_class = botocore.auth.S3SigV4Auth if case["s3"] else botocore.auth.SigV4Auth
    signer = signer_class(credentials, case["service"], case["region"])
    request = AWSRequest(method=case["method"], url=case["url"], data=bytes.fromhex(case["body_hex"]))
    for name, value in case["headers"]:
        request.headers[name] = value
    signer.add_auth(request)
    out = []
    for name in ("X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-SHA256", "Authorization"):
        if name in request.headers:
            out.append([name.lower(), request.headers[name]])
    return out


def main():
    cases = json.load(sys.stdin)
    json.dump([sign(case) for case in cases], sys.stdout)


if __name__ == "__main__":
    main()
