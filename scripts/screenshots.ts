// Refreshes the README's screenshots of the dashboard (docs/screenshots/):
//
//   DATABASE_URL=postgres://… npx tsx scripts/screenshots.ts
//
// Starts `npm start` on that database, copies two fixture services from
// test/fixtures into /srv/projects/shop (the README's example project root),
// deploys them, and photographs the deployments view and a workload's log in
// Debian's Chromium.
import { cp, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createWorkload, startShipped, stopWorkload } from '../bench/shipped.ts';
import { CreateDeploymentDocument, CreateProjectDocument, WorkloadDocument } from '../sdk/index.ts';
import { launchBrowser } from '../test/support/browser.ts';

const OUT = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../test/fixtures', import.meta.url));
const ROOT = '/srv/projects/shop';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('Set DATABASE_URL to a database the screenshots may fill');
await mkdir(ROOT, { recursive: true });
await cp(`${FIXTURES}/talker`, `${ROOT}/services/api`, { recursive: true });
await cp(`${FIXTURES}/crash`, `${ROOT}/services/worker`, { recursive: true });
const shipped = await startShipped('npm start', databaseUrl);
const browser = await launchBrowser();
try {
  const { sdk } = shipped;
  const { createProject } = await sdk.request(CreateProjectDocument, {
    input: { name: 'shop', rootPath: ROOT },
  });
  const deploy = async (serviceName: string, servicePath: string, env: Record<string, string> = {}) =>
    (
      await sdk.request(CreateDeploymentDocument, {
        input: {
          projectId: createProject.id,
          serviceName,
          servicePath,
          executor: 'local',
          env: Object.entries(env).map(([name, value]) => ({ name, value })),
        },
      })
    ).createDeployment.id;
  const api = await deploy('api', 'services/api', { LOG_LINES: '400' });
  await deploy('worker', 'services/worker');
  const workload = await createWorkload(sdk, api);
  for (;;) {
    const { workload: w } = await sdk.request(WorkloadDocument, { id: workload });
    if (w?.stage === 'running' && w.logCount > 400) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const origin = shipped.url.replace(/\/graphql$/, '');
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  await page.goto(`${origin}/?token=${shipped.token}`);
  await page.locator('tr[data-deployment="api"] [data-stage="running"]').waitFor();
  await page.screenshot({ path: `${OUT}deployments.png` });
  await page.goto(`${origin}/#/workloads/${workload}`);
  await page.locator('.log-line', { hasText: 'line 400' }).waitFor();
  await page.screenshot({ path: `${OUT}workload.png` });
  await stopWorkload(sdk, workload);
} finally {
  await browser.close();
  await shipped.stop();
}
