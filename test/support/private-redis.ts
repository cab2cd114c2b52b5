import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { eventually, restartablePort } from './apps.js';

/**
 * A Redis server of the test's own, on a spare loopback port, keeping nothing on disk: for tests that flush or
 * stop Redis, which must never touch the shared server. Stopped by its pid.
 */
export class PrivateRedis {
  private process: ChildProcess | undefined;
  private dir: string | undefined;
  port = 0;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    // Started again after `halt()`: the same port, empty (it keeps nothing on disk).
    this.port ||= await restartablePort();
    this.dir ??= mkdtempSync(join(tmpdir(), 'ecmo-redis-'));
    let output = '';
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory-policy',
        'noeviction',
        '--dir',
        this.dir,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    this.process = child;
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
        const pid = await this.answeringPid();
        if (pid !== undefined && pid !== child.pid) {
          throw new Error(
            `port ${this.port} is answered by another Redis (pid ${pid}), not ours (${child.pid})`,
          );
        }
        return pid === undefined ? undefined : true;
      },
      10_000,
      50,
    );
    return this;
  }

  /** A short-lived client to the private server. */
  async run<T>(action: (redis: Redis) => Promise<T>): Promise<T> {
    const redis = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await redis.connect();
      return await action(redis);
    } finally {
      redis.disconnect();
    }
  }

  /** The pid of the Redis answering on the port (`INFO server`), or undefined while none answers. */
  private async answeringPid(): Promise<number | undefined> {
    try {
      const info = await this.run((redis) => redis.info('server'));
      const pid = /^process_id:(\d+)/m.exec(info)?.[1];
      return pid === undefined ? undefined : Number(pid);
    } catch {
      return undefined;
    }
  }

  /** Stops the server by its pid (SIGTERM); `start()` brings it back, empty, on the same port. */
  async halt(): Promise<void> {
    const child = this.process;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
  }

  async stop(): Promise<void> {
    await this.halt();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}
