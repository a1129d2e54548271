import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { type EmbeddedServer, startEmbeddedPostgres } from '../core/db/embedded.ts';
import { migrate, openOrm } from '../core/db/orm.ts';
import type { BenchContext, Benchmark, BenchResult } from './harness.ts';

const here = fileURLToPath(new URL('.', import.meta.url));

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function loadBenchmarks(filter: string[]): Promise<Benchmark[]> {
  const files = (await readdir(here)).filter((f) => f.endsWith('.bench.ts')).sort();
  const all: Benchmark[] = [];
  for (const file of files)
    all.push((await import(pathToFileURL(join(here, file)).href)).default as Benchmark);
  const wanted = filter.map((f) => f.toLowerCase());
  return wanted.length ? all.filter((b) => wanted.includes(b.id.toLowerCase())) : all;
}

function fmt(value: number): string {
  if (Number.isInteger(value) || Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(2);
}

async function main() {
  const filter = process.argv.slice(2);
  const benchmarks = await loadBenchmarks(filter);
  if (benchmarks.length === 0) {
    console.error(`No benchmark matches ${filter.join(', ')}`);
    process.exit(2);
  }
  let embedded: EmbeddedServer | undefined;
  let dataDir: string | undefined;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    dataDir = await mkdtemp(join(tmpdir(), 'agentforge-bench-pg-'));
    embedded = await startEmbeddedPostgres(dataDir);
    adminUrl = embedded.url;
  }
  const created: string[] = [];
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const ctx: BenchContext = {
    adminUrl,
    log: (line) => console.error(`  ${line}`),
    async createDatabase() {
      const name = `agentforge_bench_${randomBytes(4).toString('hex')}`;
      await admin.query(`create database "${name}"`);
      created.push(name);
      const url = withDatabase(adminUrl, name);
      const orm = await openOrm(url);
      await migrate(orm);
      await orm.close(true);
      return url;
    },
  };

  const results: (BenchResult & { id: string; title: string; error?: string })[] = [];
  try {
    for (const bench of benchmarks) {
      console.error(`${bench.id}: ${bench.title}…`);
      try {
        results.push({ id: bench.id, title: bench.title, ...(await bench.run(ctx)) });
      } catch (error) {
        console.error(`  ${bench.id} failed: ${(error as Error).stack ?? error}`);
        results.push({
          id: bench.id,
          title: bench.title,
          measurements: [],
          baseline: { name: 'baseline', value: Number.NaN, unit: '' },
          ratio: Number.NaN,
          goal: '',
          met: false,
          error: (error as Error).message,
        });
      }
    }
  } finally {
    for (const name of created)
      await admin.query(`drop database if exists "${name}" with (force)`).catch(() => {});
    await admin.end();
    await embedded?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }

  const rows = results.map((r) => [
    r.id,
    r.error
      ? `error: ${r.error}`
      : r.measurements.map((m) => `${m.name} ${fmt(m.value)} ${m.unit}`).join('; '),
    r.error ? '' : `${r.baseline.name} ${fmt(r.baseline.value)} ${r.baseline.unit}`,
    Number.isNaN(r.ratio) ? '' : `${r.ratio.toFixed(2)}×`,
    r.goal,
    r.met ? 'yes' : 'NO',
  ]);
  const header = ['bench', 'ours', 'baseline (same run)', 'ratio', 'goal', 'met'];
  const table = [header, header.map(() => '---'), ...rows];
  for (const row of table) console.log(`| ${row.join(' | ')} |`);
  for (const r of results) for (const note of r.notes ?? []) console.log(`- ${r.id}: ${note}`);

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const json = JSON.stringify(
    { date: new Date().toISOString(), host: hostname(), node: process.version, results },
    null,
    2,
  );
  await writeFile(join(here, 'results', `${stamp}.json`), json);
  await writeFile(join(here, 'results', 'latest.json'), json);
  console.error(`Wrote bench/results/${stamp}.json`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
