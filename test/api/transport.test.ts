import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateDeploymentDocument,
  CreateProjectDocument,
  CreateWorkloadDocument,
  StopWorkloadDocument,
  WorkloadUpdatedDocument,
} from '../../sdk/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

let app: TestApp;
let deploymentId: string;

beforeAll(async () => {
  app = await startTestApp({ AGENTFORGE_RUNNER: 'off' });
  const root = await mkdtemp(join(tmpdir(), 'agentforge-transport-'));
  const { createProject } = await app.gql(CreateProjectDocument, { input: { name: 't', rootPath: root } });
  deploymentId = (
    await app.gql(CreateDeploymentDocument, {
      input: { projectId: createProject.id, serviceName: 's', servicePath: 's' },
    })
  ).createDeployment.id;
});
afterAll(() => app?.close());

describe('transports', () => {
  it('serves GraphiQL to a browser', async () => {
    const response = await fetch(app.url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/graphiql/i);
  });

  it('runs queries over graphql-ws', async () => {
    const { createWorkload } = await app.gql(CreateWorkloadDocument, { input: { deploymentId } });
    const events: string[] = [];
    const done = app.sdk.subscribe(WorkloadUpdatedDocument, { workloadId: createWorkload.id }, (data) => {
      events.push(data.workloadUpdated.stage);
    });
    await expect.poll(() => events.length).toBeGreaterThan(0);
    await app.gql(StopWorkloadDocument, { id: createWorkload.id });
    await done;
    expect(events).toEqual(['pending', 'failed']);
  });

  it('streams a subscription over SSE and completes it', async () => {
    const { createWorkload } = await app.gql(CreateWorkloadDocument, { input: { deploymentId } });
    const response = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({
        query: 'subscription($id: ID!) { workloadUpdated(workloadId: $id) { stage error } }',
        variables: { id: createWorkload.id },
      }),
    });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const read = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += decoder.decode(value, { stream: true });
      }
    })();
    await expect.poll(() => text).toMatch(/"stage":"pending"/);
    await app.gql(StopWorkloadDocument, { id: createWorkload.id });
    await read;
    expect(text).toMatch(/"stage":"failed","error":"Cancelled by user during pending"/);
    expect(text).toMatch(/event: complete/);
  });
});
