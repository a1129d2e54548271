// The services B6's stub workloads point their health checks at: one process for all of them,
// so no service's CPU is counted in the runner's. GET /ok answers 200; GET /flaky 200 until
// POST /break, then 500. Prints its port on stdout.
import { createServer } from 'node:http';

let broken = false;
const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/break') {
    broken = true;
    res.end(String(Date.now()));
    return;
  }
  if (req.url === '/flaky' && broken) {
    res.writeHead(500).end();
    return;
  }
  res.writeHead(req.url === '/ok' || req.url === '/flaky' ? 200 : 404).end();
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
