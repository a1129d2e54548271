import type { Executor } from '../core/stages.ts';
import type { ExecutorRegistry } from './executors/index.ts';
import type { ServiceExecutor, StageContext } from './executors/types.ts';

/**
 * The `prepare` of the executor a workload's build will most likely use,
 * started once validate has found the service directory, so that it runs
 * alongside the rest of validate and the move to build. Before validate
 * decides, that executor is `docker` for a deployment set to `docker` or
 * `auto` (auto runs locally only without a Dockerfile or an engine, and
 * then the preparation is dropped early: it reads the Dockerfile first).
 *
 * A speculation: build takes it (`take`) when validate chose that executor;
 * otherwise, or when validate fails, it is aborted and its result dropped
 * (`discard`). Its rejection is observed here at once, so an untaken one
 * never goes unhandled; build awaits the same promise and gets the error.
 */
export class BuildPreparation {
  private readonly executor: ServiceExecutor | undefined;
  private readonly prepared: Promise<unknown> | undefined;
  private readonly controller = new AbortController();

  constructor(executors: ExecutorRegistry, deploymentExecutor: Executor, ctx: StageContext) {
    const likely = deploymentExecutor === 'local' ? undefined : executors.docker;
    if (!likely?.prepare) return;
    this.executor = likely;
    // Its own signal: a cancel of the workload aborts it, and so does a discard.
    const signal = AbortSignal.any([ctx.signal, this.controller.signal]);
    this.prepared = likely.prepare({ ...ctx, signal });
    this.prepared.catch(() => undefined);
  }

  /** The preparation for `executor`'s build, when it is the one started; else it is discarded. */
  take(executor: ServiceExecutor): Promise<unknown> | undefined {
    if (executor === this.executor) return this.prepared;
    this.discard();
    return undefined;
  }

  /** Aborts a preparation nobody will take. Does nothing to one already settled. */
  discard(): void {
    this.controller.abort();
  }
}
