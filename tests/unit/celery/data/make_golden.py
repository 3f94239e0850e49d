#!/usr/bin/python3
"""Records what Python Celery 5.2 puts on the wire, as fixtures for the C++
tests of src/celery/: task messages (tasks.json) and result documents
(results.json). Deterministic: fixed ids, times, origin and pid.

Run with Debian's python3 (python3-celery):
  /usr/bin/python3 tests/unit/celery/data/make_golden.py tests/unit/celery/data
"""
import base64
import datetime as dt
import json
import sys
from unittest import mock

import celery.app.amqp
import celery.backends.base
from celery import Celery, states
from celery.app.task import Context
from celery.exceptions import TaskRevokedError
from celery.backends.redis import RedisBackend

UTC = dt.timezone.utc
ORIGIN = 'gen4242@producer-host'


def jsonable(value):
    # Message headers as JSON: None -> null, tuples -> lists; ints stay ints
    # and floats print with a dot, so the C++ side sees the same types.
    if isinstance(value, dict):
        return [[k, jsonable(v)] for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def task_cases():
    cases = []

    def send(name, protocol, task, **options):
        app = Celery('golden', broker='memory://', backend='rpc://', set_as_current=False)
        app.conf.task_protocol = protocol
        with mock.patch.object(celery.app.amqp, 'anon_nodename', return_value=ORIGIN):
            app.send_task(task, queue='genesys-bulk', **options)
        with app.connection_for_write() as conn:
            m = conn.default_channel.basic_get('genesys-bulk')
            props = m.properties
            cases.append({
                'name': name,
                'protocol': protocol,
                # a list of [key, value]: the order on the wire
                'headers': [[k, jsonable(v)] for k, v in (m.headers or {}).items()],
                'properties': {
                    'correlation_id': props.get('correlation_id'),
                    'reply_to': props.get('reply_to'),
                    'delivery_mode': props.get('delivery_mode'),
                    'priority': props.get('priority'),
                    'content_type': m.content_type,
                    'content_encoding': m.content_encoding,
                },
                'body': m.body.decode('utf-8'),
            })

    send('v2_positional', 2, 'bulk_processor.process_bulk_job_task',
         args=['8d3c2a9e-5f0b-4a77-9c1d-2b8e6f4a1c35', 'users'],
         task_id='5e1f0c2a-9b8d-4e7f-a6c5-3d2b1a0f9e8d',
         reply_to='c3a1b2d4-0000-3333-8888-feedfacecafe')
    send('v2_kwargs_times', 2, 'bulk_processor.submit_bulk_job',
         kwargs={'job_type': 'conversations',
                 'query': {'interval': '2026-11-01T00:00:00Z/2026-11-02T00:00:00Z',
                           'limit': 1000, 'ratio': 0.25, 'flags': [True, False, None]}},
         task_id='a0b1c2d3-e4f5-4a6b-8c7d-0e1f2a3b4c5d',
         reply_to='reply-queue-1',
         eta=dt.datetime(2026, 12, 1, 23, 5, 7, 123456, tzinfo=UTC),
         expires=dt.datetime(2026, 12, 2, 0, 0, 0, tzinfo=UTC),
         time_limit=300, soft_time_limit=240.5)
    send('v2_offset_unicode', 2, 'bulk_processor.process_bulk_job_task',
         args=["caf\u00e9 \u65e5\u672c \U0001F600", "it's \"quoted\"\n", 42, -7.5e-07, 1e+16],
         kwargs={'note': 'tab\there'},
         task_id='00000000-0000-4000-8000-000000000001', reply_to='reply-3',
         eta=dt.datetime(2026, 6, 30, 22, 0, 0, 500, tzinfo=dt.timezone(dt.timedelta(hours=2))),
         expires=dt.datetime(2026, 7, 1, 1, 30, 0, tzinfo=dt.timezone(-dt.timedelta(hours=5, minutes=30))),
         time_limit=None, soft_time_limit=60)
    send('v2_retry_family', 2, 'bulk_processor.process_bulk_job_task',
         args=('job-9', 'users'),
         task_id='retry-task-1', reply_to='reply-4',
         retries=2, root_id='root-1', parent_id='parent-1', group_id='group-1',
         group_index=3, shadow='shadow-name', ignore_result=True, priority=5)
    send('v2_long_nested', 2, 'bulk_processor.submit_bulk_job',
         args=['users', {'a': {'b': {'c': {'d': 1}}, 'l': [[1, [2, [3]]]]}}, 'x ' * 700],
         kwargs={'big': 'y' * 1500},
         task_id='long-1', reply_to='reply-5')
    send('v2_empty', 2, 'bulk_processor.noop', task_id='empty-1', reply_to='reply-6')
    send('v1_positional', 1, 'bulk_processor.process_bulk_job_task',
         args=['job-v1', 'users'], kwargs={'extra': 1},
         task_id='v1-task-1', reply_to='reply-v1',
         eta=dt.datetime(2026, 12, 1, 23, 5, 7, tzinfo=UTC),
         time_limit=100, soft_time_limit=90, retries=1)
    return cases


FIXED_NOW = dt.datetime(2026, 12, 1, 23, 59, 58, 654321)


class FrozenDatetime(dt.datetime):
    @classmethod
    def utcnow(cls):
        return FIXED_NOW


def failing(exc_type, message, cause=None):
    try:
        raise exc_type(message)
    except Exception as exc:  # noqa
        return exc


TRACEBACK = 'Traceback (most recent call last):\n  File "x.py", line 1, in <module>\nRuntimeError: HTTP 404: job not found\n'


def result_cases():
    cases = []
    summary = {'job_id': 'job-1', 'job_type': 'users', 'state': 'FULFILLED', 'chunks': 3,
               'records': 100000, 'quarantined': 0, 'duration_s': 12.5}
    docs = [
        ('success', 'SUCCESS', summary, None),
        ('failure', 'FAILURE', RuntimeError('HTTP 404: job not found'), TRACEBACK),
        ('retry', 'RETRY', RuntimeError('HTTP 503: try again (attempt 1)'), TRACEBACK),
        ('started', 'STARTED', {'pid': 4242, 'hostname': 'celery@worker-1'}, None),
        ('revoked', 'REVOKED', TaskRevokedError('expired'), None),
        ('failure_unicode', 'FAILURE', RuntimeError('caf\u00e9 "x" \\ \u65e5'), None),
    ]
    app = Celery('golden', broker='memory://', backend='rpc://', set_as_current=False)

    # rpc://: a message to reply_to, read back from the in-memory broker.
    for name, state, result, tb in docs:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_declare('reply-q')
        request = Context(id='task-' + name, reply_to='reply-q', correlation_id='task-' + name,
                          children=[])
        app.backend.store_result('task-' + name, result, state, traceback=tb, request=request)
        with app.connection_for_write() as conn:
            m = conn.default_channel.basic_get('reply-q')
            props = m.properties
            cases.append({
                'name': 'rpc_' + name, 'backend': 'rpc', 'task_id': 'task-' + name, 'state': state,
                'properties': {
                    'correlation_id': props.get('correlation_id'),
                    'delivery_mode': props.get('delivery_mode'),
                    'priority': props.get('priority'),
                    'content_type': m.content_type,
                    'content_encoding': m.content_encoding,
                },
                'routing_key': m.delivery_info.get('routing_key'),
                'body': m.body.decode('utf-8'),
            })

    # redis://: the value SETEX stores and PUBLISH sends (captured, no server).
    backend = RedisBackend(app=app, url='redis://localhost:1/0')
    for name, state, result, tb in docs:
        captured = {}
        request = Context(id='task-' + name, children=[],
                          parent_id='parent-1' if name == 'success' else None,
                          group='group-1' if name == 'success' else None)
        with mock.patch.object(backend, 'get', return_value=None), \
             mock.patch.object(backend, '_set_with_state',
                               side_effect=lambda key, value, st: captured.update(key=key, value=value)), \
             mock.patch.object(celery.backends.base, 'datetime', FrozenDatetime):
            backend.store_result('task-' + name, result, state, traceback=tb, request=request)
        value = captured['value']
        cases.append({
            'name': 'redis_' + name, 'backend': 'redis', 'task_id': 'task-' + name, 'state': state,
            'key': captured['key'].decode() if isinstance(captured['key'], bytes) else captured['key'],
            'date_done': FIXED_NOW.isoformat(),
            'body': value.decode('utf-8') if isinstance(value, bytes) else value,
        })
    return cases


def write(path, cases):
    # One case per line: small diffs when Celery changes.
    with open(path, 'w') as f:
        f.write('[\n' + ',\n'.join(json.dumps(c, ensure_ascii=True) for c in cases) + '\n]\n')


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else '.'
    write(f'{out}/tasks.json', task_cases())
    write(f'{out}/results.json', result_cases())


if __name__ == '__main__':
    main()
