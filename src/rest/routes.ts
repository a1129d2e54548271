/**
 * The REST paths, each one GraphQL root field of the same schema: the
 * request becomes that field's arguments, the field's result is the
 * response. Everything else (documents, OpenAPI, validation, errors) is
 * derived from this table and the schema.
 */
export interface RestRoute {
  method: 'GET' | 'POST';
  /** Under REST_BASE; `:id` is a path parameter. */
  path: string;
  operation: 'query' | 'mutation';
  field: string;
  /** `input`: the JSON body is the field's `input` argument; `id`: the `:id` parameter is its `id`. */
  args: 'input' | 'id';
  status: 200 | 201;
  /** Object fields of the result to include besides its scalar fields (their scalar fields). */
  nested?: string[];
  /** For a nullable lookup: what is not found when the field answers null. */
  notFound?: string;
  summary: string;
}

export const REST_BASE = '/api';
export const OPENAPI_PATH = `${REST_BASE}/openapi.json`;

export const REST_ROUTES: readonly RestRoute[] = [
  {
    method: 'POST',
    path: '/deployments',
    operation: 'mutation',
    field: 'createDeployment',
    args: 'input',
    status: 201,
    summary: 'Creates a deployment: a service of a project that can be deployed.',
  },
  {
    method: 'POST',
    path: '/workloads',
    operation: 'mutation',
    field: 'createWorkload',
    args: 'input',
    status: 201,
    summary: 'Creates a pending workload (one attempt to run the deployment).',
  },
  {
    method: 'GET',
    path: '/workloads/:id',
    operation: 'query',
    field: 'workload',
    args: 'id',
    status: 200,
    nested: ['logs'],
    notFound: 'Workload',
    summary: 'A workload with its logs (the first 1000 entries).',
  },
  {
    method: 'POST',
    path: '/workloads/:id/stop',
    operation: 'mutation',
    field: 'stopWorkload',
    args: 'id',
    status: 200,
    summary: 'Stops a running workload or cancels one on its way; answers once it is terminal.',
  },
];

/** The route for a method and path under REST_BASE, with its `id`; `methods` lists what the path allows. */
export function matchRoute(
  method: string,
  path: string,
): { route?: RestRoute; id?: string; methods: string[] } {
  const methods: string[] = [];
  for (const route of REST_ROUTES) {
    const pattern = new RegExp(`^${route.path.replace(':id', '([^/]+)')}$`);
    const match = pattern.exec(path);
    if (!match) continue;
    methods.push(route.method);
    if (route.method === method) return { route, id: match[1] && decodeURIComponent(match[1]), methods };
  }
  return { methods };
}
