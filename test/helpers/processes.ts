/**
 * The worker and the API as child processes, the way production runs them (`node --import tsx
 * <entry>`), with their output kept for the message of a test that times out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

export class ProcessGroup {
  readonly children: ChildProcess[] = [];
  private readonly output: string[] = [];

  start(name: string, entry: string, env: NodeJS.ProcessEnv): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => this.output.push(`[${name}] ${chunk.toString()}`));
    child.stderr?.on('data', (chunk: Buffer) => this.output.push(`[${name}] ${chunk.toString()}`));
    this.children.push(child);
    return child;
  }

  async waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check().catch(() => false)) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`Timed out waiting for ${what}\n${this.output.slice(-40).join('')}`);
  }

  /** SIGTERM to every child still running, and wait until all have exited. */
  async stop(): Promise<void> {
    const running = this.children.filter((child) => child.exitCode === null && child.signalCode === null);
    for (const child of running) child.kill('SIGTERM');
    await Promise.all(running.map((child) => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)))));
  }
}
