import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { useCallback, useEffect, useRef, useState } from 'react';
import { type WorkloadFieldsFragment, WorkloadUpdatedDocument } from '../../../sdk/generated/graphql.ts';
import { ApiError, request, sharedSocket, subscribe } from './api.ts';

export interface Loaded<R> {
  data: R | undefined;
  error: string | undefined;
  reload: () => void;
}

/**
 * Runs a query now, again every `everyMs` while the page shows it, and on
 * `reload()`. Live subscriptions carry stage changes; the poll picks up what
 * no subscription announces (a deployment someone else just created).
 */
export function useQuery<R, V>(document: TypedDocumentNode<R, V>, variables: V, everyMs = 5000): Loaded<R> {
  const [data, setData] = useState<R>();
  const [error, setError] = useState<string>();
  const key = JSON.stringify(variables);
  const generation = useRef(0);
  const load = useCallback(() => {
    const mine = ++generation.current;
    request(document, JSON.parse(key) as V).then(
      (result) => {
        if (mine !== generation.current) return;
        setData(result);
        setError(undefined);
      },
      (cause: unknown) => {
        if (mine !== generation.current) return;
        setError(cause instanceof ApiError ? cause.message : String(cause));
      },
    );
  }, [document, key]);
  useEffect(() => {
    load();
    const timer = setInterval(load, everyMs);
    return () => {
      clearInterval(timer);
      generation.current++;
    };
  }, [load, everyMs]);
  return { data, error, reload: load };
}

/**
 * Live state of the given workloads over `workloadUpdated` (current state
 * first, then every stage change). Returns the newest state seen per id.
 */
export function useWorkloadUpdates(ids: readonly string[]): Map<string, WorkloadFieldsFragment> {
  const [states, setStates] = useState(() => new Map<string, WorkloadFieldsFragment>());
  const key = [...new Set(ids)].sort().join(',');
  useEffect(() => {
    if (!key) return;
    const subscriptions = key.split(',').map((workloadId) =>
      subscribe(
        sharedSocket(),
        WorkloadUpdatedDocument,
        { workloadId },
        {
          next: ({ workloadUpdated }) =>
            setStates((previous) => new Map(previous).set(workloadUpdated.id, workloadUpdated)),
        },
      ),
    );
    return () => {
      for (const subscription of subscriptions) subscription.unsubscribe();
    };
  }, [key]);
  return states;
}

/** The current hash route: `#/`, `#/deployments/<id>`, `#/workloads/<id>`. */
function readRoute(): string[] {
  return window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
}

export function useRoute(): string[] {
  const [route, setRoute] = useState(readRoute);
  useEffect(() => {
    const onChange = () => setRoute(readRoute());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** Runs a mutation for a button or form: pending flag and the API's error message. */
export function useAction<A extends unknown[]>(action: (...args: A) => Promise<unknown>) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string>();
  const run = useCallback(
    async (...args: A) => {
      setPending(true);
      setError(undefined);
      try {
        await action(...args);
        return true;
      } catch (cause) {
        setError(cause instanceof ApiError ? cause.message : String(cause));
        return false;
      } finally {
        setPending(false);
      }
    },
    [action],
  );
  return { run, pending, error };
}
