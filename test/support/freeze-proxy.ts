import { connect, createServer, type Server, type Socket } from 'node:net';

/** One proxied connection: bytes each way, held while frozen. */
interface Pipe {
  waiting(): boolean;
  flush(): void;
  destroy(): void;
}

/**
 * A TCP proxy in front of a server that can freeze one client's traffic, as a network partition
 * does: while frozen nothing passes either way and the bytes wait; a client that gives up
 * meanwhile (closes its socket) takes its waiting bytes with it, so a cancelled request never
 * arrives; thaw() delivers whatever is still waiting.
 */
export class FreezeProxy {
  url = '';
  /** Connections closed by their client while bytes of theirs were held back. */
  dropped = 0;
  private frozen = false;
  private server: Server | null = null;
  private readonly pipes = new Set<Pipe>();

  constructor(private readonly target: string) {}

  async start(): Promise<string> {
    const { hostname, port } = new URL(this.target);
    this.server = createServer((client) => this.pipe(client, connect(Number(port), hostname)));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    const addr = this.server.address();
    this.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    return this.url;
  }

  /** Connections with bytes held back by the freeze. */
  waiting(): number {
    return [...this.pipes].filter((p) => p.waiting()).length;
  }

  freeze(): void {
    this.frozen = true;
  }

  thaw(): void {
    this.frozen = false;
    for (const p of [...this.pipes]) p.flush();
  }

  async close(): Promise<void> {
    for (const p of [...this.pipes]) p.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = null;
  }

  private pipe(client: Socket, upstream: Socket): void {
    const toUpstream: Buffer[] = [];
    const toClient: Buffer[] = [];
    let upstreamEnded = false;
    const pipe: Pipe = {
      waiting: () => toUpstream.length > 0 || toClient.length > 0,
      flush: () => {
        for (const b of toUpstream.splice(0)) upstream.write(b);
        for (const b of toClient.splice(0)) client.write(b);
        if (upstreamEnded) client.end();
      },
      destroy: () => {
        this.pipes.delete(pipe);
        client.destroy();
        upstream.destroy();
      },
    };
    this.pipes.add(pipe);
    client.on('data', (b: Buffer) => (this.frozen ? toUpstream.push(b) : upstream.write(b)));
    upstream.on('data', (b: Buffer) => (this.frozen ? toClient.push(b) : client.write(b)));
    upstream.on('end', () => {
      upstreamEnded = true;
      if (!this.frozen) client.end();
    });
    client.on('close', () => {
      if (toUpstream.length > 0) this.dropped++;
      toUpstream.length = 0;
      pipe.destroy();
    });
    upstream.on('close', () => {
      upstreamEnded = true;
      if (!this.frozen) client.end();
    });
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  }
}
