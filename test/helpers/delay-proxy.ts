/**
 * A TCP proxy on loopback that holds every chunk, in each direction, for a random time: enough
 * jitter that concurrent requests finish in a different order from run to run, which is what
 * a scheduling race needs to show itself. Order within one connection is kept.
 */
import net from 'node:net';

export async function startDelayProxy(o: { minMs: number; maxMs: number }): Promise<{ port: number; target(port: number): void; close(): Promise<void> }> {
  let target = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    for (const s of [client, upstream]) { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => undefined); }
    const relay = (from: net.Socket, to: net.Socket) => {
      let due = 0; // a chunk never overtakes the one before it
      from.on('data', (chunk) => {
        due = Math.max(due, Date.now() + o.minMs + Math.random() * (o.maxMs - o.minMs));
        setTimeout(() => { if (!to.destroyed) to.write(chunk); }, due - Date.now());
      });
      from.on('close', () => setTimeout(() => to.destroy(), Math.max(0, due - Date.now())));
    };
    relay(client, upstream);
    relay(upstream, client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    target: (port) => { target = port; },
    close: async () => { for (const s of sockets) s.destroy(); await new Promise<void>((r) => server.close(() => r())); },
  };
}
