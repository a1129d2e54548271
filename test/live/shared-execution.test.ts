import { type ExecutionResult, GraphQLObjectType, GraphQLSchema, GraphQLString, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { BatchedResults, EventBatch } from '../../src/live/event-batch.ts';
import { SENDS_BATCHES, subscribeSharingEvents } from '../../src/live/shared-execution.ts';

interface Event {
  value: string;
}

/** A real schema whose `event.value` resolver counts its calls and whose `boom` always throws. */
function testSchema(events: () => AsyncIterable<unknown>) {
  const calls = { value: 0 };
  const EventType = new GraphQLObjectType<Event>({
    name: 'Event',
    fields: {
      value: {
        type: GraphQLString,
        resolve: (e) => {
          calls.value++;
          return e.value;
        },
      },
      boom: {
        type: GraphQLString,
        resolve: () => {
          throw new Error('boom');
        },
      },
    },
  });
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: { event: { type: EventType, subscribe: events, resolve: (e) => e } },
    }),
  });
  return { schema, calls };
}

/** Replays the same event objects to every subscriber, like the live hub. */
function replay(items: unknown[]) {
  return async function* () {
    for (const item of items) yield item;
  };
}

async function collect(
  schema: GraphQLSchema,
  query: string,
  batches = false,
): Promise<(ExecutionResult | BatchedResults)[]> {
  const stream = await subscribeSharingEvents({
    schema,
    document: parse(query),
    contextValue: batches ? { [SENDS_BATCHES]: true } : {},
  });
  const out: (ExecutionResult | BatchedResults)[] = [];
  for await (const result of stream as AsyncIterable<ExecutionResult>) out.push(result);
  return out;
}

describe('subscription events executed once per operation', () => {
  const a = { value: 'a' };
  const b = { value: 'b' };

  it('runs the resolvers once per event for subscribers of the same operation', async () => {
    const { schema, calls } = testSchema(replay([a, b]));
    const query = 'subscription { event { value } }';
    const [first, second, third] = await Promise.all([
      collect(schema, query),
      collect(schema, query),
      collect(schema, query),
    ]);
    const expected = [{ data: { event: { value: 'a' } } }, { data: { event: { value: 'b' } } }];
    expect(first).toEqual(expected);
    expect(second).toEqual(expected);
    expect(third).toEqual(expected);
    expect(calls.value).toBe(2);
  });

  it('gives subscribers with different selections each their own shape, and an error only to the one that selected it', async () => {
    const { schema } = testSchema(replay([a, b]));
    const [plain, failing] = await Promise.all([
      collect(schema, 'subscription { event { value } }'),
      collect(schema, 'subscription { event { value boom } }'),
    ]);
    expect(plain).toEqual([{ data: { event: { value: 'a' } } }, { data: { event: { value: 'b' } } }]);
    expect(failing).toHaveLength(2);
    for (const [i, result] of failing.entries()) {
      const { data, errors } = result as ExecutionResult;
      expect(data).toEqual({ event: { value: i === 0 ? 'a' : 'b', boom: null } });
      expect(errors?.map((e) => e.message)).toEqual(['boom']);
    }
  });

  it('unrolls an EventBatch into one result per event, or one BatchedResults step for a transport that sends batches', async () => {
    const c = { value: 'c' };
    const items = [new EventBatch([a, b]), c];
    const one = await collect(testSchema(replay(items)).schema, 'subscription { event { value } }');
    expect(one).toEqual([
      { data: { event: { value: 'a' } } },
      { data: { event: { value: 'b' } } },
      { data: { event: { value: 'c' } } },
    ]);
    const batched = await collect(testSchema(replay(items)).schema, 'subscription { event { value } }', true);
    expect(batched).toHaveLength(2);
    expect(batched[0]).toBeInstanceOf(BatchedResults);
    expect((batched[0] as BatchedResults).results).toEqual([
      { data: { event: { value: 'a' } } },
      { data: { event: { value: 'b' } } },
    ]);
    expect(batched[1]).toEqual({ data: { event: { value: 'c' } } });
  });

  it('never puts a result with errors in a batch: each goes on its own so every plugin sees it', async () => {
    const items = [new EventBatch([a, b])];
    const results = await collect(
      testSchema(replay(items)).schema,
      'subscription { event { value boom } }',
      true,
    );
    expect(results).toHaveLength(2);
    for (const result of results) {
      expect(result).not.toBeInstanceOf(BatchedResults);
      expect((result as ExecutionResult).errors).toHaveLength(1);
    }
  });
});
