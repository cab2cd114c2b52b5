import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy of the test's own on a loopback port, in front of a real server (PostgreSQL, Redis), that can
 * fail the network the ways it fails in production: `cut()` resets every open connection and refuses new ones
 * (the server looks down) until `restore()`; `stall()` holds every byte until `resume()`; `delay(ms)` slows
 * every byte down. The server behind it is never
 * touched, so the shared servers can stand behind it.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private refusing = false;
  private stalled = false;
  private delayMs = 0;
  /** Chunks held while stalled, in order, with the socket each is for. */
  private held: Array<[Socket, Buffer]> = [];
  port = 0;

  constructor(
    private readonly targetPort: number,
    private readonly targetHost = '127.0.0.1',
  ) {}

  /** The URL with its port swapped for the proxy's. */
  urlFor(url: string): string {
    const proxied = new URL(url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(this.port);
    return proxied.toString();
  }

  async start(): Promise<this> {
    this.server = createServer((client) => this.accept(client));
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  /** Resets every open connection (both sides see ECONNRESET) and refuses new ones until `restore()`. */
  cut(): void {
    this.refusing = true;
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
  }

  restore(): void {
    this.refusing = false;
  }

  /**
   * A stall: connections stay open (and new ones are accepted) but nothing gets through either way, as when
   * packets are lost; `resume()` delivers what was held, in order.
   */
  stall(): void {
    this.stalled = true;
  }

  resume(): void {
    this.stalled = false;
    const held = this.held;
    this.held = [];
    for (const [socket, chunk] of held) if (!socket.destroyed) socket.write(chunk);
  }

  /** Every chunk, each way, is delivered `ms` later (a slow network); 0 for none. */
  delay(ms: number): void {
    this.delayMs = ms;
  }

  async stop(): Promise<void> {
    this.cut();
    if (!this.server) return;
    this.server.close();
    await once(this.server, 'close');
  }

  private accept(client: Socket): void {
    if (this.refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(this.targetPort, this.targetHost);
    for (const [socket, other] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(socket);
      socket.on('error', () => other.destroy());
      socket.on('close', () => {
        this.sockets.delete(socket);
        other.destroy();
      });
    }
    this.forward(client, upstream);
    this.forward(upstream, client);
  }

  private forward(from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (this.stalled) this.held.push([to, chunk]);
      else if (this.delayMs > 0) {
        // Equal delays fire in the order they were set: the stream's order is kept.
        setTimeout(
          () => (this.stalled ? this.held.push([to, chunk]) : to.destroyed || to.write(chunk)),
          this.delayMs,
        );
      } else to.write(chunk);
    });
  }
}
