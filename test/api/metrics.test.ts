import { Writable } from 'node:stream';
import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.ts';
import { StopWorkloadDocument, WorkloadStatsDocument } from '../../sdk/index.ts';
import { type Harness, portBlock, startHarness, terminal, waitFor } from '../runner/harness.ts';

const TOKEN = 'metrics-test-token-0123456789abcdef01';
let h: Harness;
const logLines: Record<string, unknown>[] = [];
const ids: Record<'hello' | 'buildFail' | 'crash', string> = { hello: '', buildFail: '', crash: '' };
const deployments: Record<string, string> = {};
let helloRunning = '';

async function scrape(token: string | null = TOKEN) {
  const response = await fetch(new URL('/metrics', h.app.url), {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: response.status, text: await response.text() };
}

async function metrics(): Promise<Map<string, MetricFamily>> {
  const { status, text } = await scrape();
  expect(status).toBe(200);
  return new Map(parsePrometheusTextFormat(text).map((m) => [m.name, m]));
}

function sample(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}) {
  const family = families.get(name);
  return family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
}

const value = (families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}) =>
  Number(sample(families, name, labels)?.value ?? Number.NaN);

/** Polls until the per-workload series of `workloadId` are there (or not), bounded. */
async function waitForSeries(workloadId: string, present: boolean): Promise<Map<string, MetricFamily>> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const families = await metrics();
    const has = sample(families, 'agentforge_workload_memory_bytes', { workload: workloadId }) !== undefined;
    if (has === present || Date.now() > deadline) return families;
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  h = await startHarness(['hello', 'build-fail', 'crash'], {
    WORKLOAD_PORT_RANGE: portBlock(),
    AGENTFORGE_API_TOKEN: TOKEN,
    STOP_TIMEOUT_MS: '3000',
  });
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });
  await h.startRunner({}, undefined, createLogger({ destination, pretty: false }));

  deployments.hello = await h.deploy('hello');
  deployments.buildFail = await h.deploy('build-fail');
  deployments.crash = await h.deploy('crash');
  ids.hello = (await h.createWorkload(deployments.hello)).id;
  ids.buildFail = (await h.createWorkload(deployments.buildFail)).id;
  ids.crash = (await h.createWorkload(deployments.crash)).id;
  const crash = await waitFor(h.app, ids.crash, (w) => w.stage === 'running');
  await fetch(`${crash.url}/crash`).catch(() => undefined);
  await waitFor(h.app, ids.crash, terminal);
  await waitFor(h.app, ids.buildFail, terminal);
  await waitFor(h.app, ids.hello, (w) => w.stage === 'running');
  helloRunning = ids.hello;
}, 120_000);
afterAll(() => h?.close());

describe('/metrics', () => {
  it('needs the token', async () => {
    expect((await scrape(null)).status).toBe(401);
    expect((await scrape('wrong')).status).toBe(401);
  });

  it('shows a running workload’s memory and CPU with its ids, and drops the series once it ends', async () => {
    const running = await waitForSeries(helloRunning, true);
    const labels = { workload: helloRunning, deployment: deployments.hello! };
    expect(value(running, 'agentforge_workload_memory_bytes', labels)).toBeGreaterThan(1_000_000);
    expect(value(running, 'agentforge_workload_cpu_seconds_total', labels)).toBeGreaterThanOrEqual(0);
    const { stopWorkload } = await h.app.gql(StopWorkloadDocument, { id: helloRunning });
    expect(stopWorkload.stage).toBe('stopped');
    const after = await metrics();
    expect(sample(after, 'agentforge_workload_memory_bytes', { workload: helloRunning })).toBeUndefined();
    expect(
      sample(after, 'agentforge_workload_cpu_seconds_total', { workload: helloRunning }),
    ).toBeUndefined();
  });

  it('counts a success, a build failure and a crash, with a build-duration histogram a Prometheus parser accepts', async () => {
    const families = await metrics();
    expect(value(families, 'agentforge_workloads_started_total')).toBe(3);
    expect(value(families, 'agentforge_workloads_ended_total', { stage: 'stopped', failed_stage: '' })).toBe(
      1,
    );
    expect(
      value(families, 'agentforge_workloads_ended_total', { stage: 'failed', failed_stage: 'build' }),
    ).toBe(1);
    expect(
      value(families, 'agentforge_workloads_ended_total', { stage: 'failed', failed_stage: 'running' }),
    ).toBe(1);
    expect(value(families, 'agentforge_workload_failures_total', { reason: 'build' })).toBe(1);
    expect(value(families, 'agentforge_workload_failures_total', { reason: 'crash' })).toBe(1);
    expect(value(families, 'agentforge_workload_failures_total', { reason: 'cancelled' })).toBe(0);

    // The parser accepted the whole text (it throws on a malformed line) and typed the family; it
    // folds a labelled histogram's series into one, so the per-stage values are read from the lines.
    expect(families.get('agentforge_stage_duration_seconds')?.type).toBe('HISTOGRAM');
    const { text } = await scrape();
    const line = (suffix: string, labels: string) =>
      Number(
        new RegExp(`^agentforge_stage_duration_seconds_${suffix}\\{${labels}\\} (\\S+)$`, 'm').exec(
          text,
        )?.[1],
      );
    // All three went through build (two left it for deploy, one for failed).
    expect(line('count', 'stage="build"')).toBe(3);
    expect(line('bucket', 'stage="build",le="\\+Inf"')).toBe(3);
    expect(line('sum', 'stage="build"')).toBeGreaterThan(0);
    const buckets = [
      ...text.matchAll(/^agentforge_stage_duration_seconds_bucket\{stage="build",le="([^"]+)"\} (\S+)$/gm),
    ];
    expect(buckets.length).toBeGreaterThan(5);
    const counts = buckets.map((m) => Number(m[2]));
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(line('count', 'stage="running"')).toBe(2);

    // The API's own request metrics, never labelled by what a client named.
    expect(value(families, 'graphql_envelop_request', { operationType: 'mutation' })).toBeGreaterThan(0);
    for (const family of families.values()) {
      for (const m of family.metrics) {
        expect(Object.keys(m.labels ?? {})).not.toContain('operationName');
        expect(Object.keys(m.labels ?? {})).not.toContain('url');
      }
    }
  });

  it('are derived from the database: a new API process over it shows the same counts', async () => {
    const { startTestApp } = await import('../support/app.ts');
    const second = await startTestApp(
      { AGENTFORGE_API_TOKEN: TOKEN, AGENTFORGE_RUNNER: 'off' },
      { db: h.app.db },
    );
    try {
      const response = await fetch(new URL('/metrics', second.url), {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      const families = new Map(parsePrometheusTextFormat(await response.text()).map((m) => [m.name, m]));
      expect(value(families, 'agentforge_workloads_started_total')).toBe(3);
      expect(value(families, 'agentforge_workload_failures_total', { reason: 'crash' })).toBe(1);
    } finally {
      await second.close();
    }
  });
});

describe('workloadStats', () => {
  it('agrees with the workload rows, overall and per deployment', async () => {
    const { workloadStats } = await h.app.gql(WorkloadStatsDocument, {});
    const { rows } = await h.app.db.pool.query(`select stage, failed_stage, failure_reason from workload`);
    expect(workloadStats.started).toBe(rows.length);
    expect(workloadStats.running).toBe(rows.filter((r) => r.stage === 'running').length);
    expect(workloadStats.stopped).toBe(rows.filter((r) => r.stage === 'stopped').length);
    expect(workloadStats.failed).toBe(rows.filter((r) => r.stage === 'failed').length);
    const reasons = new Map<string, number>();
    for (const r of rows)
      if (r.failure_reason) reasons.set(r.failure_reason, (reasons.get(r.failure_reason) ?? 0) + 1);
    expect(Object.fromEntries(workloadStats.failuresByReason.map((r) => [r.reason, r.count]))).toEqual(
      Object.fromEntries(reasons),
    );
    const failedIn = (stage: string) => rows.filter((r) => r.failed_stage === stage).length;
    for (const s of workloadStats.byStage) expect(s.failed, s.stage).toBe(failedIn(s.stage));
    // Two of the three reached running, one failed on the way.
    expect(workloadStats.successRate).toBeCloseTo(2 / 3);
    const build = await h.app.db.pool.query(
      `select avg(extract(epoch from left_at - entered_at) * 1000)::float8 as ms from workload_stage where stage = 'build'`,
    );
    expect(workloadStats.averageBuildMs).toBeCloseTo(build.rows[0].ms, 3);

    const one = (await h.app.gql(WorkloadStatsDocument, { deploymentId: deployments.buildFail }))
      .workloadStats;
    expect(one).toMatchObject({ started: 1, running: 0, stopped: 0, failed: 1, successRate: 0 });
    expect(one.failuresByReason).toEqual([{ reason: 'build', count: 1 }]);
    expect(one.byStage.map((s) => [s.stage, s.entered, s.failed])).toEqual([
      ['pending', 1, 0],
      ['validate', 1, 0],
      ['build', 1, 1],
    ]);
    const later = new Date(Date.now() + 60_000).toISOString();
    expect((await h.app.gql(WorkloadStatsDocument, { since: later })).workloadStats).toMatchObject({
      started: 0,
      successRate: null,
      byStage: [],
    });
  });

  it('refuses a malformed id with BAD_USER_INPUT', async () => {
    const { status, body } = await h.app.post(
      { query: '{ workloadStats(projectId: "nope") { started } }' },
      { authorization: `Bearer ${TOKEN}` },
    );
    expect(status).toBe(200);
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });
});

describe('server logs', () => {
  it('are JSON lines; every line about a workload carries its workloadId, stage and runnerId', async () => {
    const about = logLines.filter((l) => typeof l.workloadId === 'string');
    for (const id of Object.values(ids)) expect(about.some((l) => l.workloadId === id)).toBe(true);
    for (const line of about) {
      expect(line).toMatchObject({ stage: expect.any(String), runnerId: expect.any(String) });
    }
    const crashEnd = about.find((l) => l.workloadId === ids.crash && l.failureReason === 'crash');
    expect(crashEnd).toMatchObject({ level: 40, stage: 'failed' });
  });
});
