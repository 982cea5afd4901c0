/**
 * The house layering (CONTRIBUTING.md): workflows/ at the bottom, importing nothing above it; the
 * domain pure (no I/O, no Node built-ins, no Temporal); activities/ports independent of adapters.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(__dirname, '../..');

function sources(directory: string): string[] {
  return fs.readdirSync(path.join(root, directory), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(directory, entry.name);
    if (entry.isDirectory()) return sources(relative);
    return entry.name.endsWith('.ts') ? [relative] : [];
  });
}

/** Every module a file imports (value or type), as written. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b[^'";]*?from\s+'([^']+)'/gm)].map((match) => match[1]!);
}

function resolved(file: string, specifier: string): string {
  return specifier.startsWith('.') ? path.relative(root, path.resolve(root, path.dirname(file), specifier)) : specifier;
}

test('workflows/ imports nothing from activities/, api/, workers/ or temporal-config/', () => {
  for (const file of sources('workflows')) {
    for (const specifier of importsOf(file)) {
      const target = resolved(file, specifier);
      assert.ok(!/^(activities|api|workers|temporal-config|scripts)(\/|$)/.test(target), `${file} imports ${specifier}`);
    }
  }
});

test('the domain is pure: no Temporal, no Node built-ins, no I/O libraries', () => {
  for (const file of sources('workflows/domain')) {
    for (const specifier of importsOf(file)) {
      assert.ok(!specifier.startsWith('@temporalio/'), `${file} imports ${specifier}`);
      assert.ok(!specifier.startsWith('node:') && !['fs', 'path', 'crypto', 'http', 'os'].includes(specifier), `${file} imports ${specifier}`);
      assert.ok(!['knex', 'pg', 'express', 'winston'].includes(specifier), `${file} imports ${specifier}`);
    }
  }
});

test('ports and the activities depend on no adapter', () => {
  for (const file of ['activities/ports.ts', 'activities/index.ts', 'activities/errors.ts']) {
    for (const specifier of importsOf(file)) {
      const target = resolved(file, specifier);
      assert.ok(!/^activities\/(erp|events|accounts-payable|supplier-portal)\//.test(target), `${file} imports ${specifier}`);
      assert.ok(!['knex', 'pg'].includes(specifier), `${file} imports ${specifier}`);
    }
  }
});

test('the API reaches the ERP only through its ports (adapters are chosen in activities/wiring.ts)', () => {
  // api/main.ts is the process's composition root: it opens the database the ports are built on.
  for (const file of sources('api').filter((file) => file !== path.join('api', 'main.ts'))) {
    for (const specifier of importsOf(file)) {
      const target = resolved(file, specifier);
      assert.ok(!/^activities\/(erp|events|accounts-payable|supplier-portal)\//.test(target), `${file} imports ${specifier}`);
    }
  }
});

test('the API uses the pure EDI code (X12, mapping) and reaches the EDI tables only through EdiPort', () => {
  for (const file of sources('api').filter((file) => file !== path.join('api', 'main.ts'))) {
    for (const specifier of importsOf(file)) {
      const target = resolved(file, specifier);
      if (!target.startsWith('activities/edi/')) continue;
      assert.ok(/^activities\/edi\/(x12\/|mapping$|documents$)/.test(target), `${file} imports ${specifier}`);
    }
  }
});
