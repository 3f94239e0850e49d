// Conformance of `genesys-bulk simulate` with a client nobody here wrote: the
// official Genesys Cloud JavaScript SDK (purecloud-platform-client-v2, pinned
// in package-lock.json), pointed at the simulator through its gateway setting
// and used exactly as a customer would use it against the real service.
//
// Run by CTest (tests/conformance/CMakeLists.txt) as
//   GB_BINARY=/path/to/genesys-bulk node --test sdk_conformance.test.mjs
// The SDK is never patched; every request below goes through its own
// ApiClient (login URL and API URL both come from the gateway).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createRequire } from 'node:module';

import { startSimulator } from './simulator_process.mjs';
import { keyChecksum } from './key_checksum.mjs';

const require = createRequire(import.meta.url);
let platformClient;
try {
  platformClient = require('purecloud-platform-client-v2');
} catch (error) {
  throw new Error(`purecloud-platform-client-v2 is not installed: run scripts/setup (${error.message})`);
}

const kClientId = 'conformance-client';
const kClientSecret = 'conformance-secret-7f3a';
const kInterval = '2026-11-01T00:00:00.000Z/2026-11-02T00:00:00.000Z';
const kPageSize = 400;                 // small enough that every job needs several pages
const kPollIntervalMs = 200;
const kPollLimitMs = 60_000;
const kRecordsPerCreatedJob = 1300;
// Jobs given at start; the SDK reads them too, as it would read a job that
// someone else created in the org.
const kStartJobs = ['conversations:900:500', 'users:700:500'];

let simulator;     // { port, jobs, stop() }
let client;        // the SDK's ApiClient
let analytics;     // the SDK's AnalyticsApi

before(async () => {
  const binary = process.env.GB_BINARY ?? process.argv[2];
  assert.ok(binary, 'set GB_BINARY to the genesys-bulk binary');
  simulator = await startSimulator(binary, [
    '--port', '0', '--seed', '7',
    '--client-id', kClientId, '--client-secret', kClientSecret,
    '--records-per-job', String(kRecordsPerCreatedJob),
    '--job-seconds', '1',
    ...kStartJobs.flatMap((job) => ['--job', job]),
  ]);

  client = platformClient.ApiClient.instance;
  // The SDK's own way to talk to a gateway instead of https://{login,api}.ENV.
  client.setGateway({ host: '127.0.0.1', protocol: 'http', port: simulator.port });
  // Extended responses expose status and headers next to the body.
  client.setReturnExtendedResponses(true);
  analytics = new platformClient.AnalyticsApi();
});

after(async () => {
  if (simulator) await simulator.stop();
});

// GET /__sim/stats: the simulator's own account of what each job must
// deliver: {"jobs": [{"jobId", "records", "checksum", ...}, ...], ...}.
async function expectedFor(jobId) {
  const response = await fetch(`http://127.0.0.1:${simulator.port}/__sim/stats`);
  assert.equal(response.status, 200, 'GET /__sim/stats');
  const stats = await response.json();
  assert.ok(Array.isArray(stats.jobs), '/__sim/stats has jobs[]');
  const job = stats.jobs.find((j) => j.jobId === jobId);
  assert.ok(job, `job ${jobId} is in /__sim/stats`);
  assert.ok(Number.isInteger(job.records), `expected record count of ${jobId} in /__sim/stats`);
  assert.match(job.checksum, /^[0-9a-f]{16}$/, `key checksum of ${jobId} in /__sim/stats`);
  return { count: job.records, checksum: job.checksum };
}

const kKinds = {
  conversations: {
    create: (body) => analytics.postAnalyticsConversationsDetailsJobs(body),
    status: (id) => analytics.getAnalyticsConversationsDetailsJob(id),
    results: (id, opts) => analytics.getAnalyticsConversationsDetailsJobResults(id, opts),
    recordsField: 'conversations',
    keyField: 'conversationId',
  },
  users: {
    create: (body) => analytics.postAnalyticsUsersDetailsJobs(body),
    status: (id) => analytics.getAnalyticsUsersDetailsJob(id),
    results: (id, opts) => analytics.getAnalyticsUsersDetailsJobResults(id, opts),
    recordsField: 'userDetails',
    keyField: 'userId',
  },
};

// Polls the job's state (the only control field) until FULFILLED.
async function pollToFulfilled(kind, jobId) {
  const deadline = Date.now() + kPollLimitMs;
  const seen = [];
  for (;;) {
    const response = await kind.status(jobId);
    assert.equal(response.status, 200);
    const { state } = response.body;
    if (seen.at(-1) !== state) seen.push(state);
    if (state === 'FULFILLED') return seen;
    assert.ok(['QUEUED', 'PENDING'].includes(state), `job ${jobId} went ${seen.join(' -> ')}`);
    assert.ok(Date.now() < deadline, `job ${jobId} not FULFILLED after ${kPollLimitMs} ms (${seen.join(' -> ')})`);
    await new Promise((resolve) => setTimeout(resolve, kPollIntervalMs));
  }
}

// Pages every result in order with the cursor; returns every record key seen
// (duplicates included) and the number of pages.
async function pageAll(kind, jobId) {
  const keys = [];
  let cursor;
  let pages = 0;
  do {
    const opts = { pageSize: kPageSize };
    if (cursor !== undefined) opts.cursor = cursor;
    const response = await kind.results(jobId, opts);
    assert.equal(response.status, 200, `page ${pages + 1} of ${jobId}`);
    const records = response.body[kind.recordsField];
    assert.ok(Array.isArray(records), `page ${pages + 1} of ${jobId} has ${kind.recordsField}[]`);
    assert.ok(records.length <= kPageSize, `page ${pages + 1} holds at most pageSize records`);
    for (const record of records) {
      assert.equal(typeof record[kind.keyField], 'string', `every record has ${kind.keyField}`);
      keys.push(record[kind.keyField]);
    }
    cursor = response.body.cursor;
    pages += 1;
    assert.ok(pages < 10_000, 'cursor never ends');
  } while (cursor);
  return { keys, pages };
}

// Every expected key exactly once: count, no duplicate, and the same
// order-independent checksum as the simulator's.
async function assertExactlyOnce(jobId, keys) {
  const expected = await expectedFor(jobId);
  const distinct = new Set(keys);
  assert.equal(distinct.size, keys.length, `no key of ${jobId} arrives twice`);
  assert.equal(keys.length, expected.count, `record count of ${jobId}`);
  assert.equal(keyChecksum(keys), expected.checksum, `key checksum of ${jobId}`);
}

test('a wrong client secret is refused like the real service: 401 invalid_client', async () => {
  await assert.rejects(client.loginClientCredentialsGrant(kClientId, 'not-the-secret'), (error) => {
    // The SDK rejects with the HTTP client's error, response attached.
    assert.equal(error.response?.status, 401);
    assert.equal(error.response.data?.error, 'invalid_client');
    assert.equal(typeof error.response.data?.description, 'string');
    return true;
  });
  await assert.rejects(client.loginClientCredentialsGrant('no-such-client', kClientSecret), (error) => {
    assert.equal(error.response?.status, 401);
    assert.equal(error.response.data?.error, 'invalid_client');
    return true;
  });
});

test('an API call without a token is refused with 401', async () => {
  await assert.rejects(analytics.getAnalyticsConversationsDetailsJob(simulator.jobs[0].jobId), (error) => {
    assert.equal(error.status, 401);
    assert.ok(error.headers['inin-correlation-id'], 'ININ-Correlation-Id on errors too');
    return true;
  });
});

test('logs in with client credentials', async () => {
  const before = Date.now();
  const auth = await client.loginClientCredentialsGrant(kClientId, kClientSecret);
  assert.equal(typeof auth.accessToken, 'string');
  assert.ok(auth.accessToken.length > 0);
  assert.ok(auth.tokenExpiryTime > before, 'expires_in is in the future');
});

for (const [name, kind] of Object.entries(kKinds)) {
  test(`a ${name} details job created through the SDK delivers every record once`, async () => {
    const created = await kind.create({ interval: kInterval });
    assert.equal(created.status, 202);
    const { jobId } = created.body;
    assert.equal(typeof jobId, 'string');
    assert.ok(jobId.length > 0);
    assert.ok(created.headers['inin-correlation-id'], 'ININ-Correlation-Id header');
    assert.ok(created.headers['inin-ratelimit-allowed'], 'inin-ratelimit-allowed header');

    const states = await pollToFulfilled(kind, jobId);
    assert.equal(states.at(-1), 'FULFILLED');
    const { keys, pages } = await pageAll(kind, jobId);
    assert.equal(pages, Math.ceil(kRecordsPerCreatedJob / kPageSize));
    await assertExactlyOnce(jobId, keys);
  });
}

test('the jobs given at start are read through the SDK, every record once', async () => {
  const byType = simulator.jobs.filter((job) => kKinds[job.type]);
  assert.equal(byType.length, kStartJobs.length);
  for (const job of byType) {
    const kind = kKinds[job.type];
    await pollToFulfilled(kind, job.jobId);
    const { keys } = await pageAll(kind, job.jobId);
    assert.equal(keys.length, job.records);
    await assertExactlyOnce(job.jobId, keys);
  }
});

test('an unknown job is a 404 with the real error body', async () => {
  await assert.rejects(analytics.getAnalyticsUsersDetailsJob('00000000-0000-0000-0000-000000000000'), (error) => {
    assert.equal(error.status, 404);
    assert.equal(error.body?.status, 404);
    assert.equal(typeof error.body?.code, 'string');
    assert.equal(typeof error.body?.message, 'string');
    return true;
  });
});

test('the simulator exits cleanly on SIGTERM', async () => {
  const { code, signal } = await simulator.stop();
  assert.equal(signal, null, 'exits by itself rather than dying of the signal');
  assert.equal(code, 0);
});
