/**
 * deploy/kubernetes/ is validated, not run (this machine has no cluster): every object against
 * the strict Kubernetes JSON schema of its kind for Kubernetes v1.34 (vendored by
 * scripts/vendor-kubernetes-schemas.ts), then the things a schema cannot see: probes on the
 * endpoints the processes serve, grace periods longer than the drains, the worker's memory and
 * the cache sized from it, and disruption budgets and autoscalers that point at real Deployments.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { parseAllDocuments } from 'yaml';
import { SHUTDOWN_GRACE_MS } from '../../api/main';
import { isReadVariable, projectRoot } from '../../temporal-config/env';
import { workerSizing } from '../../temporal-config/worker-sizing';
import { WORKER_SHUTDOWN_GRACE } from '../../workers/main';

const manifestsDir = path.join(projectRoot, 'deploy', 'kubernetes');
const schemaDir = path.join(__dirname, 'kubernetes-schemas', 'v1.34.0');

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; [key: string]: any };

function schemaValidator() {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  // The OpenAPI integer formats Kubernetes uses: a 1e10 in an int32 field is a real mistake.
  const integer = (bits: number) => ({ type: 'number' as const, validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** (bits - 1) });
  ajv.addFormat('int32', integer(32));
  ajv.addFormat('int64', integer(64));
  ajv.addFormat('double', { type: 'number', validate: Number.isFinite });
  const read = (file: string) => JSON.parse(fs.readFileSync(path.join(schemaDir, file), 'utf8')) as object;
  ajv.addSchema(read('_definitions.json'));
  const byKind = new Map<string, ReturnType<typeof ajv.compile>>();
  for (const file of fs.readdirSync(schemaDir).filter((name) => name !== '_definitions.json')) {
    const schema = read(file) as { 'x-kubernetes-group-version-kind': { group: string; kind: string; version: string }[] };
    const [gvk] = schema['x-kubernetes-group-version-kind'];
    byKind.set(`${gvk!.group ? `${gvk!.group}/` : ''}${gvk!.version}/${gvk!.kind}`, ajv.compile(schema));
  }
  return (object: K8sObject): string[] => {
    const validate = byKind.get(`${object.apiVersion}/${object.kind}`);
    if (!validate) return [`no vendored schema for ${object.apiVersion} ${object.kind}`];
    return validate(object) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''}`);
  };
}

const validate = schemaValidator();
const files = (JSON.parse(JSON.stringify(parseAllDocuments(fs.readFileSync(path.join(manifestsDir, 'kustomization.yaml'), 'utf8'))[0]!.toJSON())) as { resources: string[] }).resources;
const objects: K8sObject[] = files.flatMap((file) =>
  parseAllDocuments(fs.readFileSync(path.join(manifestsDir, file), 'utf8')).map((document) => {
    assert.deepEqual(document.errors, [], `${file} parses`);
    return document.toJSON() as K8sObject;
  }),
);
const find = (kind: string, name: string): K8sObject => {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  assert.ok(found, `${kind} ${name} exists`);
  return found;
};
const container = (deployment: K8sObject) => deployment.spec.template.spec.containers[0];
const mebibytes = (quantity: string) => {
  const [, value, unit] = /^(\d+)(Mi|Gi)$/.exec(quantity) ?? [];
  assert.ok(value, `a quantity in Mi or Gi: ${quantity}`);
  return Number(value) * (unit === 'Gi' ? 1024 : 1);
};

describe('the Kubernetes manifests (deploy/kubernetes)', () => {
  it('lists every manifest file in kustomization.yaml', () => {
    const onDisk = fs.readdirSync(manifestsDir).filter((name) => name.endsWith('.yaml') && name !== 'kustomization.yaml').sort();
    assert.deepEqual([...files].sort(), onDisk);
  });

  it('are valid Kubernetes v1.34 objects, every one of them', () => {
    assert.ok(objects.length >= 9);
    for (const object of objects) assert.deepEqual(validate(object), [], `${object.kind} ${object.metadata.name}`);
  });

  it('would be caught by that schema check if they were broken', () => {
    const worker = structuredClone(find('Deployment', 'p2p-worker'));
    container(worker).readinesProbe = container(worker).readinessProbe;
    assert.notDeepEqual(validate(worker), [], 'a misspelt field');
    const hpa = structuredClone(find('HorizontalPodAutoscaler', 'p2p-worker'));
    hpa.spec.minReplicas = 'two';
    assert.notDeepEqual(validate(hpa), [], 'a string where an integer belongs');
    const pdb = structuredClone(find('PodDisruptionBudget', 'p2p-api'));
    pdb.apiVersion = 'policy/v1beta1';
    assert.notDeepEqual(validate(pdb), [], 'an API version that no longer exists');
  });

  it('probe /readyz for readiness and /healthz for liveness on the ports the processes serve', () => {
    const worker = container(find('Deployment', 'p2p-worker'));
    const healthAddress = worker.env.find((entry: { name: string }) => entry.name === 'WORKER_HEALTH_ADDRESS').value as string;
    const healthPort = worker.ports.find((port: { name: string }) => port.name === 'health').containerPort;
    assert.equal(healthAddress, `0.0.0.0:${healthPort}`);
    const api = container(find('Deployment', 'p2p-api'));
    const apiPort = api.env.find((entry: { name: string }) => entry.name === 'PORT').value;
    assert.equal(String(api.ports.find((port: { name: string }) => port.name === 'http').containerPort), apiPort);
    for (const [process, portName] of [[worker, 'health'], [api, 'http']] as const) {
      assert.deepEqual(process.readinessProbe.httpGet, { path: '/readyz', port: portName });
      assert.deepEqual(process.livenessProbe.httpGet, { path: '/healthz', port: portName });
    }
  });

  it('give each process longer than its drain before SIGKILL', () => {
    const workerGrace = find('Deployment', 'p2p-worker').spec.template.spec.terminationGracePeriodSeconds as number;
    assert.ok(workerGrace > Number.parseInt(WORKER_SHUTDOWN_GRACE, 10) + 10, `worker ${workerGrace} s > 30 s drain + closing`);
    const api = find('Deployment', 'p2p-api').spec.template.spec;
    const preStopSeconds = Number(api.containers[0].lifecycle.preStop.exec.command[1]);
    assert.ok(api.terminationGracePeriodSeconds > preStopSeconds + SHUTDOWN_GRACE_MS / 1000, 'api: preStop + 10 s request grace');
  });

  it('size the worker from its memory limit: request = limit, handed to the worker as WORKER_MEMORY_LIMIT_MB', () => {
    const worker = container(find('Deployment', 'p2p-worker'));
    assert.equal(worker.resources.requests.memory, worker.resources.limits.memory, 'the worker gets the memory it sizes from');
    const fromLimit = worker.env.find((entry: { name: string }) => entry.name === 'WORKER_MEMORY_LIMIT_MB').valueFrom.resourceFieldRef;
    assert.deepEqual(fromLimit, { containerName: worker.name, resource: 'limits.memory', divisor: '1Mi' });
    const limitMiB = mebibytes(worker.resources.limits.memory);
    const sizing = workerSizing({ memoryLimitBytes: limitMiB * 1024 * 1024, memorySource: 'WORKER_MEMORY_LIMIT_MB', databasePoolMax: 10 });
    const comment = fs.readFileSync(path.join(manifestsDir, 'worker.yaml'), 'utf8');
    assert.ok(
      comment.includes(`${limitMiB} MiB gives ${sizing.maxCachedWorkflows.toLocaleString('en-US')} cached POs, ${sizing.maxConcurrentWorkflowTaskExecutions} workflow task slots and ${sizing.maxConcurrentActivityTaskExecutions} activity slots`),
      'the manifest says what its memory buys',
    );
  });

  it('point disruption budgets, autoscalers and the Service at the Deployments, configured only by variables the processes read', () => {
    for (const name of ['p2p-worker', 'p2p-api']) {
      const labels = find('Deployment', name).spec.template.metadata.labels;
      assert.deepEqual(find('Deployment', name).spec.selector.matchLabels, { 'app.kubernetes.io/name': name });
      assert.equal(labels['app.kubernetes.io/name'], name);
      assert.deepEqual(find('PodDisruptionBudget', name).spec.selector.matchLabels, { 'app.kubernetes.io/name': name });
      assert.equal(find('PodDisruptionBudget', name).spec.minAvailable, 1);
      const hpa = find('HorizontalPodAutoscaler', name);
      assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name });
      assert.ok(hpa.spec.minReplicas > find('PodDisruptionBudget', name).spec.minAvailable, 'a drain never blocks forever');
      for (const entry of container(find('Deployment', name)).env) assert.ok(isReadVariable(entry.name), `${name} sets ${entry.name}`);
    }
    assert.deepEqual(find('Service', 'p2p-api').spec.selector, { 'app.kubernetes.io/name': 'p2p-api' });
    for (const source of ['ConfigMap', 'Secret'] as const) {
      const object = find(source, source === 'ConfigMap' ? 'p2p-config' : 'p2p-secrets');
      for (const name of Object.keys(object.data ?? object.stringData)) assert.ok(isReadVariable(name), `${source} sets ${name}`);
    }
  });
});
