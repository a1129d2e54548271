import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateWorkloadDocument, StopWorkloadDocument } from '../../sdk/index.ts';
import { type Harness, logsOf, portBlock, startHarness, terminal, waitFor } from '../runner/harness.ts';
import { hasBrowser, launchBrowser } from '../support/browser.ts';
import { buildDashboard } from './build.ts';

/**
 * The dashboard in a real Chromium against a real API, runner and services:
 * what a person watching deployments sees and clicks.
 */
let h: Harness;
let browser: Browser;
let base: string;

beforeAll(async () => {
  await buildDashboard();
  h = await startHarness(['talker'], { WORKLOAD_PORT_RANGE: portBlock(), STOP_TIMEOUT_MS: '3000' });
  await h.startRunner();
  base = h.app.url.replace(/\/graphql$/, '');
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function open(path: string): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error('page error:', error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') console.error('page console:', message.text());
  });
  // Signing in as a person does: the URL npm start prints sets the session cookie.
  await page.goto(h.app.signInUrl);
  await page.goto(`${base}/${path}`);
  return page;
}

/** The number of log lines the page holds ("N of M lines"). */
async function shownLines(page: Page): Promise<number> {
  const text = (await page.getByTestId('log-count').textContent()) ?? '';
  return Number(/of ([\d,]+) lines/.exec(text)?.[1]?.replaceAll(',', '') ?? Number.NaN);
}

async function talkerUrl(workloadId: string): Promise<string> {
  const running = await waitFor(h.app, workloadId, (w) => w.stage === 'running' || terminal(w));
  expect(running.stage).toBe('running');
  return running.url!;
}

describe.skipIf(!hasBrowser)('dashboard', () => {
  it('lists a deployment that was just created, with its live status', async () => {
    const page = await open('');
    await page.getByRole('heading', { name: 'Deployments' }).waitFor();
    const deploymentId = await h.deploy('talker', { env: [{ name: 'LOG_LINES', value: '3' }] });
    const row = page.locator('tr[data-deployment="talker"]').first();
    await row.waitFor({ timeout: 15_000 });
    await expect.poll(() => row.locator('[data-stage]').getAttribute('data-stage')).toBe('idle');

    const { createWorkload } = await h.app.gql(CreateWorkloadDocument, { input: { deploymentId } });
    const badge = page.locator(`tr[data-deployment="talker"] [data-stage="running"]`).first();
    await badge.waitFor({ timeout: 30_000 });
    await page.close();
    await h.app.gql(StopWorkloadDocument, { id: createWorkload.id });
  });

  it('shows a workload log that follows live, then stops it from the page', async () => {
    const deploymentId = await h.deploy('talker', { env: [{ name: 'LOG_LINES', value: '20' }] });
    const { createWorkload } = await h.app.gql(CreateWorkloadDocument, { input: { deploymentId } });
    const url = await talkerUrl(createWorkload.id);
    const page = await open(`#/workloads/${createWorkload.id}`);

    // Lines printed before the page opened are there.
    await page.locator('.log-line', { hasText: 'line 20' }).waitFor({ timeout: 15_000 });

    // A line printed now shows up while the page is open, without a reload.
    const marker = `marker-${Date.now()}`;
    const printedAt = Date.now();
    await fetch(`${url}/say?text=${marker}`);
    await page.locator('.log-line', { hasText: marker }).waitFor({ timeout: 10_000 });
    console.log(`dashboard: a printed line was on screen after ${Date.now() - printedAt} ms`);

    // The timeline shows the stages it went through.
    const timeline = await page.getByTestId('timeline').textContent();
    for (const stage of ['pending', 'validate', 'build', 'deploy', 'running'])
      expect(timeline).toContain(stage);

    // Stop from the page: the stage changes on screen without a reload.
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.locator('h1 [data-stage="stopped"]').waitFor({ timeout: 20_000 });
    await page.getByTestId('follow-status').and(page.locator('[data-status="complete"]')).waitFor();
    const stored = await logsOf(h.app, createWorkload.id);
    await expect
      .poll(() => page.getByTestId('log-count').textContent())
      .toBe(`${stored.length} of ${stored.length} lines`);
    await page.close();
  });

  it('resumes after the server drops its WebSocket, without gaps or duplicates', async () => {
    const deploymentId = await h.deploy('talker', { env: [{ name: 'LOG_LINES', value: '0' }] });
    const { createWorkload } = await h.app.gql(CreateWorkloadDocument, { input: { deploymentId } });
    const url = await talkerUrl(createWorkload.id);
    const page = await open(`#/workloads/${createWorkload.id}`);
    await page.getByTestId('follow-status').and(page.locator('[data-status="live"]')).waitFor();

    await fetch(`${url}/flood?lines=20000&rate=5000`);
    await expect.poll(() => shownLines(page), { timeout: 30_000 }).toBeGreaterThan(2000);
    expect(h.app.dropWebSockets()).toBeGreaterThan(0);
    await expect
      .poll(() => page.getByTestId('follow-status').textContent(), { timeout: 20_000 })
      .toMatch(/resumed/);
    await page.locator('.log-line', { hasText: 'line 20000' }).waitFor({ timeout: 30_000 });

    // Every stored entry once: the count on screen is the log's count, and the
    // last rows are the last seqs in order.
    const { stopWorkload } = await h.app.gql(StopWorkloadDocument, { id: createWorkload.id });
    const { logCount } = stopWorkload;
    await expect
      .poll(() => page.getByTestId('log-count').textContent(), { timeout: 20_000 })
      .toBe(`${logCount.toLocaleString('en-US')} of ${logCount.toLocaleString('en-US')} lines`);
    const seqs = await page
      .locator('.log-line')
      .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-seq'))));
    expect(seqs.at(-1)).toBe(logCount);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    await page.close();
  });

  it('keeps 100,000 lines scrollable, filtered by level and stage', async () => {
    const deploymentId = await h.deploy('talker', { env: [{ name: 'LOG_LINES', value: '100000' }] });
    const { createWorkload } = await h.app.gql(CreateWorkloadDocument, { input: { deploymentId } });
    await talkerUrl(createWorkload.id);
    await expect
      .poll(async () => (await logsOf(h.app, createWorkload.id)).length, { timeout: 120_000 })
      .toBeGreaterThan(0);
    const page = await open(`#/workloads/${createWorkload.id}`);
    await page.locator('.log-line', { hasText: 'line 100000' }).waitFor({ timeout: 120_000 });
    // Only the rows on screen are in the DOM.
    expect(await page.locator('.log-line').count()).toBeLessThan(200);

    // Scroll to the top: the first entries are there.
    await page.getByTestId('log-lines').evaluate((element) => element.scrollTo(0, 0));
    await page.locator('.log-line[data-seq="1"]').waitFor();

    // Filters: the validate stage only, then error entries only (there are none).
    await page.getByLabel('Filter by stage').selectOption('validate');
    await expect.poll(() => page.locator('.log-line .stage').allTextContents()).toContain('validate');
    expect(new Set(await page.locator('.log-line .stage').allTextContents())).toEqual(new Set(['validate']));
    expect(await page.getByTestId('log-count').textContent()).toMatch(/^\d{1,2} of 100,\d{3} lines$/);
    await page.getByLabel('Filter by level').selectOption('error');
    await expect.poll(() => page.getByTestId('log-count').textContent()).toMatch(/^0 of /);
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.close();
  }, 240_000);
  it('creates and updates deployments from forms, showing the API errors', async () => {
    const page = await open('');
    const project = page.locator('section.project').first();
    const create = project.getByRole('form', { name: 'Create deployment' });
    await create.getByPlaceholder('service name').fill('escapee');
    await create.getByPlaceholder('services/api').fill('../outside');
    await create.getByRole('button', { name: 'Create deployment' }).click();
    await expect.poll(() => create.getByRole('alert').textContent()).toContain('servicePath');

    await create.getByPlaceholder('services/api').fill('talker');
    await create.getByRole('button', { name: 'Create deployment' }).click();
    const row = page.locator('tr[data-deployment="escapee"]');
    await row.waitFor({ timeout: 15_000 });
    await row.getByRole('link', { name: 'escapee' }).click();

    const update = page.getByRole('form', { name: 'Update deployment' });
    await update.getByLabel('memory MB').fill('8');
    await update.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => update.getByRole('alert').textContent()).toContain('memoryLimitMb');
    await update.getByLabel('memory MB').fill('256');
    await update.getByLabel('Restart policy').selectOption('on_failure');
    await update.getByRole('button', { name: 'Save settings' }).click();
    await expect
      .poll(() => page.locator('dl.settings').textContent(), { timeout: 10_000 })
      .toContain('256 MB');
    expect(await page.locator('dl.settings').textContent()).toContain('on_failure');
    await page.close();
  });
});
