import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runMigrations } from '../../libs/database/src/migrate.js';
import { ensureRolesAndDatabase, lockDownDatabase } from '../../libs/database/src/setup.js';
import { eventually, restartablePort, testConfig } from './apps.js';
import { MIGRATIONS } from '../../migrations/index.js';

const BIN = (() => {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort() : [];
  return versions.length > 0 ? `/usr/lib/postgresql/${versions.at(-1)}/bin` : '';
})();

/** PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user. */
function asPostgres(command: string, args: readonly string[]): [string, string[]] {
  const path = BIN ? join(BIN, command) : command;
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, [...args]];
}

function postgresIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) =>
    Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * A PostgreSQL server of the test's own: a fresh cluster (`initdb`, trust authentication on loopback) on a
 * spare port, for tests that stop or crash PostgreSQL, which must never touch the shared server. `setup()`
 * creates the registry's roles and database and migrates it, as `setup` does. Stopped through its
 * postmaster's pid (read from `postmaster.pid`): `crash()` is `pg_ctl stop -m immediate` (SIGQUIT: no
 * checkpoint, recovery from the WAL at the next start), `stop()` a fast shutdown; `start()` again on the
 * same directory and port.
 */
export class PrivatePostgres {
  private dir: string | undefined;
  private process: ChildProcess | undefined;
  private output = '';
  port = 0;
  readonly database = 'ecmo_registry';

  get adminUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** The application and owner URLs of the registry's database on this server (roles as configured). */
  urls(): { appUrl: string; ownerUrl: string } {
    const config = testConfig();
    const swap = (url: string) => {
      const next = new URL(url);
      next.hostname = '127.0.0.1';
      next.port = String(this.port);
      next.pathname = `/${this.database}`;
      return next.toString();
    };
    return { appUrl: swap(config.DATABASE_URL), ownerUrl: swap(config.DATABASE_MIGRATION_URL) };
  }

  async init(): Promise<this> {
    this.port = await restartablePort();
    this.dir = mkdtempSync(join(tmpdir(), 'ecmo-pg-'));
    const ids = postgresIds();
    if (ids) chownSync(this.dir, ids.uid, ids.gid);
    const [command, args] = asPostgres('initdb', [
      '-D',
      join(this.dir, 'data'),
      '--auth=trust',
      '--username=postgres',
      '--encoding=UTF8',
      '--no-sync',
    ]);
    const result = spawnSync(command, args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`initdb failed: ${result.stderr}${result.stdout}`);
    await this.start();
    return this;
  }

  /** Creates the roles and the database and runs the migrations, as `setup` does on a new server. */
  async setup(): Promise<void> {
    const { appUrl, ownerUrl } = this.urls();
    await ensureRolesAndDatabase({ adminUrl: this.adminUrl, migrationUrl: ownerUrl, appUrl });
    await runMigrations(ownerUrl, MIGRATIONS);
    await lockDownDatabase(this.adminUrl, this.database, new URL(ownerUrl).username);
  }

  async start(): Promise<void> {
    const dir = this.dir!;
    const [command, args] = asPostgres('postgres', [
      '-D',
      join(dir, 'data'),
      '-p',
      String(this.port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=60',
    ]);
    this.output = '';
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    this.process = child;
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`postgres exited: ${this.output}`);
        return (await this.accepts()) ? true : undefined;
      },
      30_000,
      100,
    );
  }

  /** Whether our own server (its data directory, not another on this port) accepts a query now. */
  async accepts(): Promise<boolean> {
    const client = new pg.Client({ connectionString: this.adminUrl, connectionTimeoutMillis: 1000 });
    client.on('error', () => {});
    try {
      await client.connect();
      const { rows } = await client.query<{ dir: string }>(`SELECT current_setting('data_directory') AS dir`);
      if (rows[0].dir !== join(this.dir!, 'data')) {
        throw new Error(`port ${this.port} is answered by another server (${rows[0].dir})`);
      }
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  }

  /** The postmaster's pid, from the first line of `postmaster.pid`, while it runs. */
  private postmasterPid(): number | undefined {
    const file = join(this.dir!, 'data', 'postmaster.pid');
    if (!existsSync(file)) return undefined;
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  /** `-m immediate`: the postmaster is sent SIGQUIT and every backend dies without a checkpoint. */
  crash(): Promise<void> {
    return this.signal('SIGQUIT');
  }

  /** `-m fast`: SIGINT, open transactions rolled back, a checkpoint written. */
  stop(): Promise<void> {
    return this.signal('SIGINT');
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const pid = this.postmasterPid();
    const child = this.process;
    if (pid === undefined || !child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(pid, signal);
    await exited;
    // The postmaster is gone once its pid is (an immediate stop leaves the pid file behind).
    await eventually(
      () => {
        try {
          process.kill(pid, 0);
          return Promise.resolve(undefined);
        } catch {
          return Promise.resolve(true);
        }
      },
      15_000,
      50,
    );
  }

  /** Stops the server (fast) and removes its cluster. */
  async destroy(): Promise<void> {
    if (!this.dir) return;
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}
