/**
 * The outbox types the code can write against the event catalog, read from the source with the
 * TypeScript checker: every business event the domain builds (an object literal with `type` and
 * `documentKey`) and every row the ERP adapter inserts into the outbox (`type`, `po_number`,
 * `payload`). A type the catalog lacks, a type no code writes, or a `type` whose possible values
 * cannot be enumerated (a plain string) fails here, before any workflow runs.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { EVENT_CATALOG, EventType } from '../../workflows/domain/schemas/event-catalog';

const root = path.resolve(__dirname, '../..');

/** Where outbox types are decided (workflows/domain) and written (the ERP adapter). */
function writers(): string[] {
  const domain = fs
    .readdirSync(path.join(root, 'workflows/domain'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.startsWith('schemas'))
    .map((file) => path.join(root, 'workflows/domain', file));
  const erp = fs
    .readdirSync(path.join(root, 'activities/erp'))
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.join(root, 'activities/erp', file));
  return [...domain, ...erp];
}

interface Site {
  where: string;
  types: string[] | null;
}

function propertyNames(literal: ts.ObjectLiteralExpression): Set<string> {
  return new Set(literal.properties.flatMap((p) => (p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? [p.name.text] : [])));
}

/** The string literal values an expression can take, or null when its type is not a union of literals. */
function literalValues(checker: ts.TypeChecker, expression: ts.Expression): string[] | null {
  const type = checker.getTypeAtLocation(expression);
  const members = type.isUnion() ? type.types : [type];
  const values = members.map((member) => (member.isStringLiteral() ? member.value : null));
  return values.every((value) => value !== null) ? (values as string[]) : null;
}

function outboxTypeSites(): Site[] {
  const config = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const files = writers();
  const program = ts.createProgram(files, { ...options, noEmit: true });
  const checker = program.getTypeChecker();
  const sites: Site[] = [];
  for (const file of files) {
    const source = program.getSourceFile(file)!;
    const visit = (node: ts.Node): void => {
      if (ts.isObjectLiteralExpression(node)) {
        const names = propertyNames(node);
        const isBusinessEvent = names.has('type') && names.has('documentKey') && names.has('events');
        const isOutboxRow = names.has('type') && names.has('po_number') && names.has('payload');
        if (isBusinessEvent || isOutboxRow) {
          const property = node.properties.find((p) => p.name && ts.isIdentifier(p.name) && p.name.text === 'type')!;
          const initializer = ts.isPropertyAssignment(property) ? property.initializer : ts.isShorthandPropertyAssignment(property) ? property.name : undefined;
          const { line } = source.getLineAndCharacterOfPosition(node.getStart());
          sites.push({ where: `${path.relative(root, file)}:${line + 1}`, types: initializer ? literalValues(checker, initializer) : null });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return sites;
}

test('every outbox type the code can write is in the event catalog, and every catalog type is written by some code', () => {
  const sites = outboxTypeSites();
  assert.ok(sites.length >= 30, `found ${sites.length} places that write an outbox type`);
  const catalog = new Set<string>(EventType.options);
  assert.deepEqual(new Set(EVENT_CATALOG.map((entry) => entry.type)), catalog);

  const unknown = sites.filter((site) => site.types === null).map((site) => site.where);
  assert.deepEqual(unknown, [], 'each outbox type must be a literal (or a union of literals) the checker can enumerate');

  const missing = sites.flatMap((site) => (site.types ?? []).filter((type) => !catalog.has(type)).map((type) => `${site.where}: ${type}`));
  assert.deepEqual(missing, [], 'written to the outbox but not in the event catalog');

  // A site that can write any catalog type (the adapter inserting `record.type`) says nothing about which are written.
  const written = new Set(sites.filter((site) => site.types!.length < catalog.size).flatMap((site) => site.types!));
  assert.deepEqual(
    EventType.options.filter((type) => !written.has(type)),
    [],
    'in the catalog but written by no code: remove it or publish it',
  );
});
