#!/usr/bin/python3
"""Python Celery 5.2 reads what our C++ code wrote (python_interop_test.cpp).

  python_check.py results FILE  FILE: [{"backend": "rpc"|"redis", "body": "..."}]
      Prints one line per document, as Python's backend decodes it:
      "<status> <module>.<class> <args as JSON>" for exception states,
      "<status> <result as JSON>" otherwise.
  python_check.py tasks FILE    FILE: [{"headers": [[k, v]...], "properties": {...}, "body": "..."}]
      Rebuilds each message with app.amqp.as_task_v2 from the fields it
      carries (argsrepr and kwargsrepr recomputed by Python) and prints
      "ok" or "diff <what>: ours=... python=...".
"""
import json
import sys

from celery import Celery
from celery.backends.redis import RedisBackend
from kombu.utils.json import dumps, loads


def check_results(path):
    app = Celery('check', broker='memory://', backend='rpc://', set_as_current=False)
    backends = {'rpc': app.backend, 'redis': RedisBackend(app=app, url='redis://localhost:1/0')}
    for doc in json.load(open(path)):
        backend = backends[doc['backend']]
        meta = backend.decode_result(doc['body'])
        result = meta['result']
        if isinstance(result, BaseException):
            cls = type(result)
            print(meta['status'], f'{cls.__module__}.{cls.__qualname__}', json.dumps(list(result.args)))
        else:
            print(meta['status'], json.dumps(result))


def check_tasks(path):
    app = Celery('check', broker='memory://', set_as_current=False)
    for doc in json.load(open(path)):
        ours = {k: v for k, v in doc['headers']}
        args, kwargs, embed = loads(doc['body'])
        limit = ours['timelimit']
        headers, properties, body, _ = app.amqp.as_task_v2(
            ours['id'], ours['task'], args, kwargs,
            eta=ours['eta'], expires=ours['expires'], group_id=ours['group'],
            group_index=ours['group_index'], retries=ours['retries'],
            chord=embed['chord'], callbacks=embed['callbacks'], errbacks=embed['errbacks'],
            chain=embed['chain'], reply_to=doc['properties']['reply_to'],
            time_limit=limit[0], soft_time_limit=limit[1], root_id=ours['root_id'],
            parent_id=ours['parent_id'], shadow=ours['shadow'], origin=ours['origin'],
            ignore_result=ours['ignore_result'])
        problems = []
        theirs = [[k, list(v) if isinstance(v, tuple) else v] for k, v in headers.items()]
        if [k for k, _ in doc['headers']] != [k for k, _ in theirs]:
            problems.append(f"header order: ours={[k for k, _ in doc['headers']]} python={[k for k, _ in theirs]}")
        for key, value in theirs:
            mine = ours.get(key)
            if mine != value or type(mine) != type(value):
                problems.append(f'{key}: ours={mine!r} python={value!r}')
        python_body = dumps(body)
        if doc['body'] != python_body:
            problems.append(f"body: ours={doc['body']!r} python={python_body!r}")
        for key in ('correlation_id', 'reply_to'):
            if doc['properties'][key] != properties[key]:
                problems.append(f"{key}: ours={doc['properties'][key]!r} python={properties[key]!r}")
        print('ok' if not problems else 'diff ' + '; '.join(problems))


if __name__ == '__main__':
    {'results': check_results, 'tasks': check_tasks}[sys.argv[1]](sys.argv[2])
