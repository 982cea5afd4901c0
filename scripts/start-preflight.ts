import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { isTemporalReachable } from '../temporal-config/dev-server';
import type { AppConfig } from '../temporal-config/env';

/**
 * What `npm start` checks before it starts anything: which services it will reuse, and whether
 * every port it will bind is free. A port held by another program stops it here, naming the port,
 * instead of after half the stack has started (or after a banner answered by someone else's API).
 */

/** The dev server, its Web UI and the embedded PostgreSQL listen on loopback only. */
const LOOPBACK = '127.0.0.1';
const LOCAL_TEMPORAL_HOSTS = ['127.0.0.1', 'localhost', '::1', '[::1]'];

export interface PortClaim {
  /** What will listen there, as a person calls it. */
  what: string;
  host: string;
  port: number;
  /** The setting that chooses this port, for the "what to do" hint. */
  setting: string;
}

export type TemporalPlan = { reuse: true; address: string } | { reuse: false; address: string; port: number };

export interface StartPlan {
  temporal: TemporalPlan;
  /** True when this data directory's embedded PostgreSQL is already running and is simply connected to. */
  reuseEmbeddedDatabase: boolean;
  /** Ports this run will bind; all were free when checked. */
  claims: PortClaim[];
  /** Why start-up must not go on, one line each; empty when it may. */
  problems: string[];
}

/**
 * Decides what `npm start` reuses and what it binds, and checks the ports. Starts nothing and
 * changes nothing.
 */
export async function planStart(config: AppConfig, temporalAddressIsExplicit: boolean): Promise<StartPlan> {
  const problems: string[] = [];
  const claims: PortClaim[] = [{ what: 'the API', host: config.api.host, port: config.api.port, setting: 'PORT' }];

  let temporal: TemporalPlan;
  const address = config.temporal.address;
  if (await isTemporalReachable(address)) {
    temporal = { reuse: true, address };
  } else {
    const [host, portText] = splitHostPort(address);
    const port = Number(portText ?? 7233);
    temporal = { reuse: false, address, port };
    if (temporalAddressIsExplicit && !LOCAL_TEMPORAL_HOSTS.includes(host)) {
      problems.push(`TEMPORAL_ADDRESS=${address} is not reachable (and is not a local address to start a dev server on).`);
    } else {
      claims.push(
        { what: 'the Temporal dev server', host: LOOPBACK, port, setting: 'TEMPORAL_ADDRESS' },
        { what: 'the Temporal Web UI', host: LOOPBACK, port: config.temporal.uiPort, setting: 'TEMPORAL_UI_PORT' },
      );
    }
  }

  let reuseEmbeddedDatabase = false;
  if (!config.database.url) {
    reuseEmbeddedDatabase = embeddedDatabaseRunning(config.dataDir, config.database.embeddedPort);
    if (!reuseEmbeddedDatabase) {
      claims.push({ what: 'the embedded PostgreSQL', host: LOOPBACK, port: config.database.embeddedPort, setting: 'EMBEDDED_PG_PORT' });
    }
  }

  for (const claim of claims) {
    const refusal = await bindRefusal(claim.host, claim.port);
    if (refusal) problems.push(portProblem(claim, refusal));
  }
  return { temporal, reuseEmbeddedDatabase, claims, problems };
}

function portProblem(claim: PortClaim, refusal: string): string {
  const where = `${claim.host}:${claim.port}`;
  if (refusal === 'EADDRINUSE') {
    return (
      `Port ${claim.port} (${claim.what}) is already in use on ${where}, perhaps by another \`npm start\`. ` +
      `Stop the program holding it, or choose another port with ${claim.setting}.`
    );
  }
  if (refusal === 'EADDRNOTAVAIL') return `Cannot listen on ${where} for ${claim.what}: ${claim.host} is not an address of this machine (HOST).`;
  if (refusal === 'EACCES') return `Not allowed to listen on port ${claim.port} (${claim.what}); choose a port above 1023 with ${claim.setting}.`;
  return `Cannot listen on ${where} for ${claim.what} (${refusal}); choose another port with ${claim.setting}.`;
}

/**
 * Tries to bind `host:port` and lets go at once. Resolves undefined when the port is free, else
 * the error code (EADDRINUSE, EADDRNOTAVAIL, EACCES, ...). On Linux a wildcard bind also fails
 * while one address holds the port, so 0.0.0.0 notices a 127.0.0.1 listener and vice versa.
 */
export function bindRefusal(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ host: host.replace(/^\[(.*)\]$/, '$1'), port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/**
 * True when this data directory's embedded PostgreSQL runs on `port` (left running by an earlier
 * `npm start` that was killed, or started by `npm run api` alone): it is connected to, as the
 * database bootstrap does. A PostgreSQL of another data directory on that port is not ours to use.
 */
export function embeddedDatabaseRunning(dataDir: string, port: number): boolean {
  let lines: string[];
  try {
    lines = fs.readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return false;
  }
  // postmaster.pid: pid, data directory, start time, port, ...
  const pid = Number(lines[0]);
  return Number(lines[3]) === port && isProcessAlive(pid);
}

function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function splitHostPort(address: string): [string, string | undefined] {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(address);
  return match ? [match[1]!, match[2]] : [address, undefined];
}
