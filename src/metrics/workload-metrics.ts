import { Counter, Gauge, Histogram, type MetricObject, type Registry } from 'prom-client';
import { FAILURE_REASONS } from '../../core/failure-reasons.ts';
import { STAGE_DURATION_BUCKETS, type WorkloadSnapshot } from './workload-snapshot.ts';

/**
 * The workload metrics (`agentforge_*`), all derived from the database at
 * scrape time, so they are the same whichever API process answers and
 * survive its restarts. `current()` is the snapshot read for this scrape;
 * each metric's `collect` (or `get`, for the histogram) turns it into
 * values. Labels are stage names, failure reasons and ids the server made:
 * nothing a client chose freely.
 */
export function registerWorkloadMetrics(registry: Registry, current: () => WorkloadSnapshot): void {
  new Counter({
    name: 'agentforge_workloads_started_total',
    help: 'Workloads created (each one attempt to run a deployment).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(current().outcomes.started);
    },
  });
  new Counter({
    name: 'agentforge_workloads_ended_total',
    help: 'Workloads that ended, by terminal stage (stopped, failed) and the stage they failed in.',
    labelNames: ['stage', 'failed_stage'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const e of current().outcomes.ended) {
        this.inc({ stage: e.stage, failed_stage: e.failedStage ?? '' }, e.count);
      }
    },
  });
  new Counter({
    name: 'agentforge_workload_failures_total',
    help: `Failed workloads by reason: ${FAILURE_REASONS.join(', ')}.`,
    labelNames: ['reason'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const reason of FAILURE_REASONS) this.inc({ reason }, 0);
      for (const f of current().outcomes.failures) this.inc({ reason: f.reason }, f.count);
    },
  });
  registry.registerMetric(new StageDurationMetric(current));
  new Gauge({
    name: 'agentforge_workload_memory_bytes',
    help: 'Memory used by a running workload (latest sample); the series ends with the workload.',
    labelNames: ['workload', 'deployment'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const r of current().resources) {
        this.set({ workload: r.workloadId, deployment: r.deploymentId }, r.memoryBytes);
      }
    },
  });
  new Counter({
    name: 'agentforge_workload_cpu_seconds_total',
    help: 'CPU time used by a running workload (latest sample); the series ends with the workload.',
    labelNames: ['workload', 'deployment'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const r of current().resources) {
        this.inc({ workload: r.workloadId, deployment: r.deploymentId }, r.cpuSeconds);
      }
    },
  });
}

/**
 * `agentforge_stage_duration_seconds{stage}`: prom-client's Histogram
 * counts observations it is given; these buckets are counted by the
 * database, so the histogram reports them instead of observations. The
 * registry renders a histogram through `getForPromString()` (and `get()`
 * for JSON); both answer the snapshot's buckets here.
 */
class StageDurationMetric extends Histogram<'stage'> {
  constructor(private readonly current: () => WorkloadSnapshot) {
    super({
      name: STAGE_DURATION,
      help: 'How long finished stage visits took (validate, build, deploy; pending is the wait for a runner, running the uptime).',
      labelNames: ['stage'],
      buckets: STAGE_DURATION_BUCKETS,
      registers: [],
    });
  }

  override async get() {
    const values = this.current().durations.flatMap((h) => [
      ...STAGE_DURATION_BUCKETS.map((le, i) => ({
        metricName: `${STAGE_DURATION}_bucket`,
        labels: { stage: h.stage, le },
        value: h.buckets[i]!,
      })),
      { metricName: `${STAGE_DURATION}_bucket`, labels: { stage: h.stage, le: '+Inf' }, value: h.count },
      { metricName: `${STAGE_DURATION}_sum`, labels: { stage: h.stage }, value: h.sumSeconds },
      { metricName: `${STAGE_DURATION}_count`, labels: { stage: h.stage }, value: h.count },
    ]);
    const { name, help, type, aggregator } = this as unknown as MetricObject;
    return { name, help, type, aggregator, values } as Awaited<ReturnType<Histogram<'stage'>['get']>>;
  }

  getForPromString() {
    return this.get();
  }
}

const STAGE_DURATION = 'agentforge_stage_duration_seconds';
