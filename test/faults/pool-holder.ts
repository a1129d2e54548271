/**
 * A process holding a client of `openPool` without a listener of its own, as
 * any code between two awaits does. It prints its connection's backend pid,
 * waits until the test has terminated that connection, then prints what a
 * query on the dead client and one on the pool answer.
 */
import { openPool } from '../../core/db/pool.ts';

const pool = openPool({
  connectionString: process.argv[2] as string,
  max: 2,
  applicationName: 'pool-holder',
});
const client = await pool.connect();
const { rows } = await client.query('select pg_backend_pid() as pid');
process.stdout.write(`${rows[0].pid}\n`);
// Not events.once: it would listen for 'error' itself while waiting.
await new Promise((resolve) => client.once('end', resolve));
const dead = await client.query('select 1').then(
  () => 'answered',
  (error: Error) => `rejected: ${error.message}`,
);
client.release(true);
const fresh = await pool.query('select 2 as n');
process.stdout.write(`${JSON.stringify({ dead, fresh: fresh.rows[0].n })}\n`);
await pool.end();
