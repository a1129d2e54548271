import { createServer, type Socket, connect as tcpConnect } from 'node:net';

export interface TcpProxy {
  port: number;
  /** The URL of `url`'s server through this proxy. */
  url(url: string): string;
  /**
   * Silences the connections open now, as a dead network or a hung server
   * would: nothing is forwarded either way and nothing is closed. New
   * connections still go through.
   */
  freezeOpen(): void;
  close(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1, port 0, in front of `targetPort`. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  const frozen: Socket[] = [];
  const server = createServer((inbound) => {
    const outbound = tcpConnect(targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [inbound, outbound];
    pairs.add(pair);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    const end = () => {
      pairs.delete(pair);
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('error', end).on('close', end);
    outbound.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    freezeOpen() {
      for (const [inbound, outbound] of pairs) {
        inbound.unpipe(outbound);
        outbound.unpipe(inbound);
        inbound.pause();
        outbound.pause();
        frozen.push(inbound, outbound);
      }
      pairs.clear();
    },
    async close() {
      for (const socket of frozen) socket.destroy();
      for (const [inbound, outbound] of pairs) {
        inbound.destroy();
        outbound.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
