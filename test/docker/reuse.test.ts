import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromReferences } from '../../runner/executors/docker-base-images.ts';
import { imageRepository, imageTag } from '../../runner/executors/docker-build.ts';
import { LABEL_CONTEXT } from '../../runner/executors/docker-reuse.ts';
import { describeDocker, dockerEngine } from './engine.ts';
import { copyFixture, executorSuite, removeImageTags, stageContext, type TestStage } from './support.ts';

const REUSED = /^✓ Build context unchanged since image [0-9a-f]{12} \(.+\): reusing it as .+, no build$/;
/** What a real `docker build` writes (legacy builder): its command line and its steps. */
const isBuildOutput = (message: string) => /^docker build -t |^Step \d+\/\d+ : |^Successfully /.test(message);

/**
 * A workload of an unchanged service reuses the image built for an earlier
 * one (no `docker build`); a changed file, or a changed base image, builds.
 */
describeDocker('docker image reuse', () => {
  const suite = executorSuite();
  const { executor } = suite;

  /** A fixture copy and its first workload; `next()` makes another workload of the same deployment. */
  async function deployment(fixture: string) {
    const copy = await copyFixture(fixture);
    suite.defer(copy.cleanup);
    const service = { ...copy, servicePath: fixture };
    const workload = async (deploymentId?: string): Promise<TestStage> => {
      const stage = await stageContext(suite.db, dockerEngine.config, service);
      if (deploymentId) stage.ctx = { ...stage.ctx, deploymentId };
      suite.defer(() => stage.log.close());
      return stage;
    };
    const first = await workload();
    suite.defer(() => removeImageTags(suite.docker, imageRepository(first.ctx.deploymentId)));
    return { dir: copy.serviceDir, first, next: () => workload(first.ctx.deploymentId) };
  }

  const imageId = async (stage: TestStage) => (await suite.docker.getImage(imageTag(stage.ctx)).inspect()).Id;

  it('reuses the image of an unchanged context, keeps it through cleanup, and builds again after a change', async () => {
    const { dir, first, next } = await deployment('docker-hello');
    await executor.build(first.ctx);
    const firstLogs = await first.logs();
    expect(firstLogs.some((l) => /^Step 1\/\d+ : FROM /.test(l.message))).toBe(true);
    expect(firstLogs.some((l) => REUSED.test(l.message))).toBe(false);
    const built = await suite.docker.getImage(imageTag(first.ctx)).inspect();
    expect(built.Config.Labels?.[LABEL_CONTEXT]).toMatch(/^[0-9a-f]{64}$/);

    const second = await next();
    await executor.build(second.ctx);
    const secondLogs = await second.logs();
    expect(secondLogs.filter((l) => REUSED.test(l.message))).toHaveLength(1);
    expect(secondLogs.filter((l) => isBuildOutput(l.message))).toEqual([]);
    expect(await imageId(second)).toBe(built.Id);

    // Pruning after the second workload runs keeps the reused image under its tag.
    await executor.cleanup?.(second.ctx);
    const tags = (
      await suite.docker.listImages({ filters: { reference: [imageRepository(first.ctx.deploymentId)] } })
    ).flatMap((image) => image.RepoTags ?? []);
    expect(tags).toEqual([imageTag(second.ctx)]);
    expect(await imageId(second)).toBe(built.Id);

    await appendFile(join(dir, 'server.js'), '\n// changed\n');
    const third = await next();
    await executor.build(third.ctx);
    const thirdLogs = await third.logs();
    expect(thirdLogs.some((l) => REUSED.test(l.message))).toBe(false);
    expect(thirdLogs.some((l) => /^Step \d+\/\d+ : COPY \. \/app$/.test(l.message))).toBe(true);
    expect(await imageId(third)).not.toBe(built.Id);
  });

  it('builds again when the base image changed, even with the same files', async () => {
    const { dir, first, next } = await deployment('docker-hello');
    const base = { repo: 'agentforge/reuse-test-base', tag: first.ctx.workloadId.toLowerCase() };
    const baseRef = `${base.repo}:${base.tag}`;
    suite.defer(() => removeImageTags(suite.docker, baseRef));
    await suite.docker.getImage('agentforge/node-base:20').tag(base);
    await writeFile(join(dir, 'Dockerfile'), `FROM ${baseRef}\nCOPY . /app\nCMD ["node", "server.js"]\n`);
    await executor.build(first.ctx);

    // The same tag now names another image (the one just built, which has node too).
    await suite.docker.getImage(imageTag(first.ctx)).tag(base);
    const second = await next();
    await executor.build(second.ctx);
    const logs = await second.logs();
    expect(logs.some((l) => REUSED.test(l.message))).toBe(false);
    expect(logs.some((l) => /^Step 1\/\d+ : FROM /.test(l.message))).toBe(true);
    expect(await imageId(second)).not.toBe(await imageId(first));
  });
});

describe('FROM references of a Dockerfile', () => {
  it('lists external bases once, skipping scratch and earlier stages', () => {
    const dockerfile = [
      '# syntax comment',
      'FROM --platform=linux/amd64 node:20 AS deps',
      'RUN npm ci',
      'FROM deps AS build',
      'from scratch',
      'FROM \\',
      '  alpine:3',
      'FROM node:20',
    ].join('\n');
    expect(fromReferences(dockerfile)).toEqual(['node:20', 'alpine:3']);
  });

  it('gives up on a variable, which only the build can resolve', () => {
    expect(fromReferences('ARG V=20\nFROM node:$V\n')).toBeUndefined();
    expect(fromReferences('FROM --platform=$BUILDPLATFORM node:20\n')).toBeUndefined();
  });
});
