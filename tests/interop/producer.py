#!/usr/bin/python3
"""A Celery producer that uses nothing but Celery's public API, as a user's
code would: send one task to the genesys-bulk worker and print what get()
returns, as one JSON line on stdout.

    producer.py --broker amqp://... --backend rpc:// --task NAME --args JSON
                [--kwargs JSON] [--timeout S] [--countdown S] [--expires S]
                [--protocol 1|2] [--count N] [--task-id ID] [--no-wait]

On success: {"ok": true, "result": ..., "task_id": ...}. When get() raises:
{"ok": false, "exc_type": ..., "exc_message": ..., "task_id": ...}, exit 0,
so a test can assert the failure's type and reason.
"""
import argparse
import json
import sys

from celery import Celery


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--broker", required=True)
    parser.add_argument("--backend", default="rpc://")
    parser.add_argument("--queue", default="genesys-bulk")
    parser.add_argument("--task", default="bulk_processor.process_bulk_job_task")
    parser.add_argument("--args", default="[]")
    parser.add_argument("--kwargs", default="{}")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--countdown", type=float)
    parser.add_argument("--expires", type=float)
    parser.add_argument("--protocol", type=int, default=2)
    parser.add_argument("--count", type=int, default=1, help="send this many tasks, then wait for all")
    parser.add_argument("--no-wait", action="store_true", help="print the task ids and exit")
    parser.add_argument("--task-id", help="send with this task id (a redelivery, as far as the worker can tell)")
    opts = parser.parse_args()

    app = Celery("producer", broker=opts.broker, backend=opts.backend)
    app.conf.task_protocol = opts.protocol
    options = {"queue": opts.queue}
    if opts.countdown is not None:
        options["countdown"] = opts.countdown
    if opts.expires is not None:
        options["expires"] = opts.expires
    if opts.task_id:
        options["task_id"] = opts.task_id

    sent = [app.send_task(opts.task, args=json.loads(opts.args), kwargs=json.loads(opts.kwargs), **options)
            for _ in range(opts.count)]
    if opts.no_wait:
        for r in sent:
            print(json.dumps({"task_id": r.id}), flush=True)
        return 0
    for r in sent:
        try:
            value = r.get(timeout=opts.timeout)
            print(json.dumps({"ok": True, "task_id": r.id, "result": value}), flush=True)
        except Exception as exc:  # the test asserts which one, and why
            print(json.dumps({"ok": False, "task_id": r.id, "exc_type": type(exc).__name__,
                              "exc_message": str(exc), "state": r.state}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
