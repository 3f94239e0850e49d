#!/usr/bin/python3
"""What the interop tests need of the broker beyond Celery's send_task, done
with kombu (Celery's own transport library) so that nothing of genesys-bulk
is used to check genesys-bulk:

    broker_tool.py --broker URL peek QUEUE
        prints every message of QUEUE as one line (its body as text; JSON
        documents as they are), leaving them all in the queue (basic.get
        without ack, then the connection closes and RabbitMQ requeues them);
    broker_tool.py --broker URL publish-raw QUEUE --body TEXT
        [--content-type T] [--headers JSON] [--task NAME] [--id ID] [--declare]
        publishes one persistent message to QUEUE through the default
        exchange, as a producer with a bug or another language might
        (--declare: declare QUEUE first, durable and without arguments, as
        Celery does).
"""
import argparse
import json
import sys
import uuid

from kombu import Connection


def peek(conn, queue):
    channel = conn.channel()
    held = []
    while True:
        message = channel.basic_get(queue, no_ack=False)
        if message is None:
            break
        held.append(message)
        body = message.body
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        print(body.replace("\n", " "), flush=True)
    for message in held:
        channel.basic_reject(message.delivery_tag, requeue=True)
    channel.close()


def publish_raw(conn, queue, opts):
    channel = conn.channel()
    if opts.declare:
        channel.queue_declare(queue, durable=True, auto_delete=False)
    headers = json.loads(opts.headers) if opts.headers else {}
    if opts.task:
        headers.setdefault("task", opts.task)
        headers.setdefault("id", opts.id or str(uuid.uuid4()))
        headers.setdefault("retries", 0)
    message = channel.prepare_message(opts.body.encode("utf-8"), priority=0, content_type=opts.content_type,
                                      content_encoding="utf-8", headers=headers,
                                      properties={"delivery_mode": 2,
                                                  "correlation_id": headers.get("id", str(uuid.uuid4()))})
    channel.basic_publish(message, exchange="", routing_key=queue)
    channel.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--broker", required=True)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("peek")
    p.add_argument("queue")
    r = sub.add_parser("publish-raw")
    r.add_argument("queue")
    r.add_argument("--body", required=True)
    r.add_argument("--content-type", default="application/json")
    r.add_argument("--headers")
    r.add_argument("--task")
    r.add_argument("--id")
    r.add_argument("--declare", action="store_true")
    opts = parser.parse_args()
    with Connection(opts.broker) as conn:
        conn.ensure_connection(max_retries=3)
        if opts.command == "peek":
            peek(conn, opts.queue)
        else:
            publish_raw(conn, opts.queue, opts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
