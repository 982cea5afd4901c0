/**
 * `npm start` and `npm run keys` as a developer runs them, as child processes: a port held by
 * another program stops start-up before anything starts, naming the port; the banner appears once
 * this run's own API and worker answer; `npm run keys` prints export lines and nothing else.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../temporal-config/dev-server';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { createTestNamespace, testTemporalAddress } from '../helpers/temporal';

const root = path.resolve(__dirname, '../..');

/** The developer's environment without anything a test run or CI sets that would change npm start. */
function developerEnv(overrides: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['DATABASE_URL', 'API_KEYS', 'NODE_ENV', 'TEMPORAL_ADDRESS', 'HOST', 'LOG_LEVEL', 'LOG_FORMAT', 'NODE_TEST_CONTEXT']) {
    delete env[name];
  }
  return { ...env, ...overrides };
}

interface Run {
  exitCode: Promise<number | null>;
  output: () => string;
  stdout: () => string;
  stderr: () => string;
  signal: (signal: NodeJS.Signals) => void;
}

function run(script: string, env: NodeJS.ProcessEnv): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, script)], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let both = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    both += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    both += chunk.toString();
  });
  const exitCode = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { exitCode, output: () => both, stdout: () => stdout, stderr: () => stderr, signal: (signal) => child.kill(signal) };
}

/** A plain TCP listener standing in for "some other program" on a port. */
async function holdPort(): Promise<{ port: number; release: () => Promise<void> }> {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { port, release: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function within<T>(promise: Promise<T>, ms: number, what: string, output: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms\n${output()}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

let dataDir: string;
before(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-start-'));
});
after(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start with its ports taken', () => {
  it('stops before starting anything and names every port that is held, with the setting that moves it', async () => {
    const held = await Promise.all([holdPort(), holdPort(), holdPort(), holdPort()]);
    const [api, temporal, ui, postgres] = held.map((hold) => hold.port);
    try {
      const start = run(
        'scripts/start.ts',
        developerEnv({
          DATA_DIR: dataDir,
          PORT: String(api),
          TEMPORAL_ADDRESS: `127.0.0.1:${temporal}`,
          TEMPORAL_UI_PORT: String(ui),
          EMBEDDED_PG_PORT: String(postgres),
        }),
      );
      assert.equal(await within(start.exitCode, 30_000, 'npm start', start.output), 1);
      const output = start.output();
      assert.match(output, /Not starting; nothing was started/);
      assert.match(output, new RegExp(`Port ${api} \\(the API\\) is already in use .* choose another port with PORT\\.`));
      assert.match(output, new RegExp(`Port ${temporal} \\(the Temporal dev server\\) is already in use .* TEMPORAL_ADDRESS\\.`));
      assert.match(output, new RegExp(`Port ${ui} \\(the Temporal Web UI\\) is already in use .* TEMPORAL_UI_PORT\\.`));
      assert.match(output, new RegExp(`Port ${postgres} \\(the embedded PostgreSQL\\) is already in use .* EMBEDDED_PG_PORT\\.`));
      assert.doesNotMatch(output, /Starting the Temporal dev server|Starting embedded PostgreSQL|is running/);
      assert.deepEqual(fs.readdirSync(dataDir), [], 'no Temporal state, no database, no keys file');
    } finally {
      await Promise.all(held.map((hold) => hold.release()));
    }
  });
});

describe('npm start on a Temporal server and a database that already run', () => {
  let database: TestDatabase;
  let temporalAddress: string;
  let namespace: string;

  before(async () => {
    database = await createTestDatabase();
    temporalAddress = await testTemporalAddress();
    namespace = await createTestNamespace(temporalAddress);
  });
  after(async () => {
    await database?.drop();
  });

  it('reuses the Temporal server rather than binding its port, but still refuses an API port in use', async () => {
    const held = await holdPort();
    try {
      const start = run(
        'scripts/start.ts',
        developerEnv({ DATA_DIR: dataDir, PORT: String(held.port), TEMPORAL_ADDRESS: temporalAddress, DATABASE_URL: database.url }),
      );
      assert.equal(await within(start.exitCode, 30_000, 'npm start', start.output), 1);
      const problems = start.output().split('\n').filter((line) => line.startsWith('[start]   - '));
      assert.equal(problems.length, 1, start.output());
      assert.match(problems[0]!, new RegExp(`Port ${held.port} \\(the API\\)`));
    } finally {
      await held.release();
    }
  });

  it('shows the banner once its own API and worker answer, with the npm run keys hint, and stops cleanly on Ctrl-C', async () => {
    const port = await freePort();
    const start = run(
      'scripts/start.ts',
      developerEnv({
        DATA_DIR: dataDir,
        PORT: String(port),
        TEMPORAL_ADDRESS: temporalAddress,
        TEMPORAL_NAMESPACE: namespace,
        DATABASE_URL: database.url,
      }),
    );
    try {
      await within(
        (async () => {
          while (!start.output().includes('Press Ctrl-C to stop.')) {
            if ((await Promise.race([start.exitCode, new Promise((resolve) => setTimeout(() => resolve('running'), 250))])) !== 'running') {
              throw new Error(`npm start exited\n${start.output()}`);
            }
          }
        })(),
        150_000,
        'the banner',
        start.output,
      );
      const output = start.output();
      assert.match(output, /\[start\] P2P Orchestrator is running:/);
      assert.match(output, new RegExp(`API {10}http://localhost:${port}\\n`));
      assert.match(output, new RegExp(`eval "\\$\\(DATA_DIR=${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} PORT=${port} npm run -s keys\\)"`));
      assert.ok(output.indexOf('"message":"API listening"') < output.indexOf('P2P Orchestrator is running'), 'the API said it listens first');
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(health.status, 200);
    } finally {
      start.signal('SIGINT');
    }
    assert.equal(await within(start.exitCode, 60_000, 'stopping', start.output), 0);
    assert.match(start.output(), /\[start\] Stopped\./);
  });
});

describe('npm run keys', () => {
  it('prints the development keys as export lines and nothing else, the same ones every time', async () => {
    const keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-keys-'));
    try {
      const env = developerEnv({ DATA_DIR: keysDir, PORT: '3456' });
      const first = run('scripts/keys.ts', env);
      assert.equal(await first.exitCode, 0, first.output());
      assert.equal(first.stderr(), '');
      const lines = first.stdout().trimEnd().split('\n');
      assert.deepEqual(
        lines.map((line) => line.split('=')[0]),
        ['export BUYER_KEY', 'export WAREHOUSE_KEY', 'export FINANCE_KEY', 'export OPERATOR_KEY', 'export APPROVER_KEY', 'export SUPPLIER_KEY', 'export API'],
      );
      assert.equal(lines.at(-1), 'export API=http://localhost:3456');
      const stored = JSON.parse(fs.readFileSync(path.join(keysDir, 'dev-api-keys.json'), 'utf8')) as Record<string, string>;
      assert.equal(lines[0], `export BUYER_KEY=${stored.procurement}`);
      assert.equal(lines[5], `export SUPPLIER_KEY=${stored['supplier:ACME']}`);

      const second = run('scripts/keys.ts', env);
      assert.equal(await second.exitCode, 0);
      assert.equal(second.stdout(), first.stdout());
    } finally {
      fs.rmSync(keysDir, { recursive: true, force: true });
    }
  });

  it('says on stderr, with nothing on stdout, that it cannot know the keys when API_KEYS is set', async () => {
    const keys = run('scripts/keys.ts', developerEnv({ DATA_DIR: dataDir, API_KEYS: 'buyer-key:procurement' }));
    assert.equal(await keys.exitCode, 1);
    assert.equal(keys.stdout(), '');
    assert.match(keys.stderr(), /API_KEYS is set in this environment.*cannot know them/);
  });
});
