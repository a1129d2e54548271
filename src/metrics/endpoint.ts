import { usePrometheus } from '@graphql-yoga/plugin-prometheus';
import type { Plugin } from 'graphql-yoga';
import { Registry } from 'prom-client';
import type { Queryable } from '../../core/sql/queryable.ts';
import { registerWorkloadMetrics } from './workload-metrics.ts';
import { EMPTY_SNAPSHOT, readWorkloadSnapshot, type WorkloadSnapshot } from './workload-snapshot.ts';

export const METRICS_PATH = '/metrics';

/**
 * `/metrics` (Prometheus text) and the API's request metrics. Place after
 * the auth plugin: the endpoint answers only requests it let through.
 *
 * Per process (they start at zero with each API process): the request
 * metrics (`graphql_envelop_*`, `graphql_yoga_http_duration`). From the
 * database (the same in every API process, across restarts): every
 * `agentforge_*` metric. Request metrics count HTTP requests and GraphQL
 * queries and mutations; subscriptions are left out. Request metrics are labelled by operation type,
 * phase, HTTP method and status, never by operation name, URL or field
 * path, which a client chooses freely.
 */
export function metricsPlugins(db: Queryable): Plugin[] {
  const registry = new Registry();
  let snapshot: WorkloadSnapshot = EMPTY_SNAPSHOT;
  registerWorkloadMetrics(registry, () => snapshot);
  // One scrape at a time: each reads its snapshot, then renders it.
  let scraping: Promise<unknown> = Promise.resolve();
  const scrape = () => {
    const next = scraping.then(async () => {
      snapshot = await readWorkloadSnapshot(db);
      return registry.metrics();
    });
    scraping = next.catch(() => undefined);
    return next;
  };

  return [
    {
      async onRequest({ url, request, endResponse, fetchAPI }) {
        if (url.pathname !== METRICS_PATH) return;
        if (request.method !== 'GET' && request.method !== 'HEAD') {
          endResponse(
            new fetchAPI.Response('Use GET /metrics\n', { status: 405, headers: { allow: 'GET' } }),
          );
          return;
        }
        try {
          const text = await scrape();
          endResponse(new fetchAPI.Response(text, { headers: { 'content-type': registry.contentType } }));
        } catch {
          endResponse(
            new fetchAPI.Response('The database did not answer: workload metrics unavailable\n', {
              status: 503,
            }),
          );
        }
      },
    },
    usePrometheus({
      registry,
      endpoint: false,
      metrics: {
        // Queries and mutations only: hooking the subscribe phase wraps every
        // subscription's event stream, and the live log fan-out shares one
        // stream among many subscribers (src/live/shared-execution.ts).
        graphql_envelop_request: ['execute'],
        graphql_envelop_request_duration: ['execute'],
        graphql_envelop_error_result: ['parse', 'validate', 'context', 'execute'],
        graphql_yoga_http_duration: true,
        graphql_envelop_request_time_summary: false,
        graphql_envelop_deprecated_field: false,
        graphql_envelop_phase_parse: false,
        graphql_envelop_phase_validate: false,
        graphql_envelop_phase_context: false,
        graphql_envelop_phase_execute: false,
        graphql_envelop_phase_subscribe: false,
        graphql_envelop_schema_change: false,
        graphql_envelop_execute_resolver: false,
      },
      labels: {
        operationName: false,
        path: false,
        fieldName: false,
        typeName: false,
        returnType: false,
        url: false,
      },
    }),
  ];
}
