/** Peers that misbehave the way a bad network does: a black hole, and a server that trickles. */
import { createServer as createHttpServer, type Server } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP endpoint that, while black-holed, accepts connections and never answers (as a dead S3
 * behind a live load balancer); after {@link BlackHole.forwardTo} new connections reach `target`.
 * Connections accepted during the black hole stay silent for good, as a real one would leave them.
 */
export interface BlackHole {
  port: number;
  url: string;
  /** Connections accepted so far. */
  accepted(): number;
  forwardTo(host: string, port: number): void;
  close(): Promise<void>;
}

export async function startBlackHole(): Promise<BlackHole> {
  let target: { host: string; port: number } | null = null;
  let accepted = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (!target) {
      socket.resume(); // read and drop whatever comes, answer nothing
      return;
    }
    const upstream = connect(target.port, target.host);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    accepted: () => accepted,
    forwardTo: (host, p) => (target = { host, port: p }),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An HTTP server that announces `size` bytes and sends one every `everyMs`. */
export interface TrickleServer {
  url: string;
  /** Requests received. */
  requests(): number;
  close(): Promise<void>;
}

export async function startTrickleServer(size: number, everyMs: number): Promise<TrickleServer> {
  let requests = 0;
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createHttpServer((_req, res) => {
    requests += 1;
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': String(size) });
    res.flushHeaders();
    let sent = 0;
    const timer = setInterval(() => {
      if (sent >= size) return;
      res.write(Buffer.from([sent++ % 256]));
      if (sent >= size) res.end();
    }, everyMs);
    timers.add(timer);
    res.on('close', () => {
      clearInterval(timer);
      timers.delete(timer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/model.zip`,
    requests: () => requests,
    close: async () => {
      for (const t of timers) clearInterval(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
