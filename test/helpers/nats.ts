/**
 * NATS for tests: the machine's server (NATS_TEST_URL, default nats://127.0.0.1:4222, started by
 * .ci/run), a stream of the test's own so parallel tests never share one, and a private
 * `nats-server` process for tests that stop and restart the server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort } from '../../temporal-config/dev-server';

export function testNatsUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.NATS_TEST_URL || 'nats://127.0.0.1:4222';
}

/** A stream name and subject prefix of the test's own. */
export function privateStream(): { stream: string; subjectPrefix: string } {
  const tag = randomBytes(4).toString('hex');
  return { stream: `P2P_EVENTS_TEST_${tag}`, subjectPrefix: `test${tag}.events` };
}

export async function deleteStream(url: string, stream: string): Promise<void> {
  const connection = await connect({ servers: url });
  try {
    await (await jetstreamManager(connection)).streams.delete(stream).catch(() => false);
  } finally {
    await connection.close();
  }
}

function natsServerBinary(): string {
  for (const candidate of [process.env.NATS_SERVER_BIN, '/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) {
    if (candidate && fs.existsSync(candidate)) return candidate;
  }
  const fromPath = (process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, 'nats-server')).find((file) => fs.existsSync(file));
  if (fromPath) return fromPath;
  throw new Error('nats-server not found: install it (apt-get install nats-server; .ci/run does) or set NATS_SERVER_BIN');
}

async function listening(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nats-server did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A JetStream-enabled nats-server of the test's own, on a free port, with its store on disk. */
export class PrivateNatsServer {
  private process: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly storeDir: string,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<PrivateNatsServer> {
    const server = new PrivateNatsServer(await freePort(), fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-nats-')));
    await server.run();
    return server;
  }

  private async run(): Promise<void> {
    this.process = spawn(natsServerBinary(), ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir], { stdio: 'ignore' });
    await listening(this.port, 15_000);
  }

  /** Stops the server (SIGTERM, as an orchestrator would) and waits until it is gone. */
  async stop(): Promise<void> {
    const running = this.process;
    this.process = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM');
    await exited;
  }

  /** Stops the server, keeps it down for `downForMs` (long enough for publishes to time out), starts it again. */
  async restart(downForMs = 0): Promise<void> {
    await this.stop();
    await new Promise((resolve) => setTimeout(resolve, downForMs));
    await this.run();
  }

  async close(): Promise<void> {
    await this.stop();
    fs.rmSync(this.storeDir, { recursive: true, force: true });
  }
}
