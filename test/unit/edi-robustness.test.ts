/**
 * Bad input never crashes the X12 layer: any text either reads or is refused with an
 * X12SyntaxError; any corruption of a valid interchange leaves every set either accepted, or
 * rejected with 997 codes, or refused by the mapping with a MappingRefusal; and the 997 written
 * for it always reads back cleanly. (The API turns each of these into a 997 or a problem+json:
 * test/api/edi.test.ts.)
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { acknowledgementFor } from '../../activities/edi/x12/ack';
import { readInterchange } from '../../activities/edi/x12/envelope';
import { checkSetSyntax } from '../../activities/edi/x12/sets';
import { X12SyntaxError } from '../../activities/edi/x12/syntax';
import { writeInterchange } from '../../activities/edi/x12/writer';
import { mapSet, MappingRefusal, orderNumberOf } from '../../activities/edi/mapping';

const directory = path.join(__dirname, '../fixtures/edi');
const fixtures = fs.readdirSync(directory).filter((name) => name.endsWith('.x12')).map((name) => fs.readFileSync(path.join(directory, name), 'utf8'));
const po = { poNumber: 'PO-EDI-1', currency: 'USD', lines: [{ lineNo: 1, sku: 'BOLT-M8' }, { lineNo: 2, sku: 'NUT-M8' }] };

/** The pure inbound pipeline; throws only what the API maps to a 4xx. */
function pipeline(raw: string): void {
  let interchange;
  try {
    interchange = readInterchange(raw);
  } catch (error) {
    assert.ok(error instanceof X12SyntaxError, `unexpected ${(error as Error).name}: ${(error as Error).message}`);
    return;
  }
  const sets = interchange.groups.map((group) =>
    group.sets.map((set) => {
      checkSetSyntax(set, group.functionalId);
      if (set.errors.length > 0) return { accepted: false, codes: set.errors, segmentErrors: set.segmentErrors };
      if (['855', '856', '810'].includes(set.id)) {
        try {
          orderNumberOf(set);
          mapSet(set, po);
        } catch (error) {
          assert.ok(error instanceof MappingRefusal, `unexpected ${(error as Error).name}: ${(error as Error).message}`);
          return { accepted: false, codes: ['5'], segmentErrors: error.segmentError ? [error.segmentError] : [] };
        }
      }
      return { accepted: true, codes: [], segmentErrors: [] };
    }),
  );
  const ack = writeInterchange({
    sender: { qualifier: 'ZZ', id: 'P2PORCH' },
    receiver: { qualifier: 'ZZ', id: 'ACMEEDI' },
    functionalId: 'FA',
    interchangeControlNumber: 1,
    groupControlNumber: 1,
    at: new Date('2026-12-01T00:00:00Z'),
    sets: interchange.groups.map((group, index) => ({ id: '997', controlNumber: String(index + 1).padStart(4, '0'), segments: acknowledgementFor(group, sets[index]!) })),
  });
  const back = readInterchange(ack);
  for (const group of back.groups) {
    assert.deepEqual(group.errors, []);
    for (const set of group.sets) {
      checkSetSyntax(set, group.functionalId);
      assert.deepEqual(set.errors, [], `our own 997 has errors: ${JSON.stringify(set.segmentErrors)}`);
    }
  }
}

const mutation = fc.record({
  fixture: fc.nat({ max: fixtures.length - 1 }),
  edits: fc.array(
    fc.record({ at: fc.nat(), kind: fc.constantFrom('replace', 'delete', 'insert'), character: fc.constantFrom('*', '~', '>', '\n', '\r', '^', '|', 'A', '9', ' ', '', '\u0000', 'é') }),
    { minLength: 1, maxLength: 4 },
  ),
});

describe('bad X12 never crashes the inbound pipeline', () => {
  it('any text reads or is refused with an X12SyntaxError', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (text) => pipeline(text)), { numRuns: 500 });
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (tail) => pipeline(fixtures[0]!.slice(0, 106) + tail)), { numRuns: 500 });
  });

  it('every corruption of a valid interchange gets a 997 that reads back, or a syntax refusal', () => {
    fc.assert(
      fc.property(mutation, ({ fixture, edits }) => {
        let text = fixtures[fixture]!;
        for (const edit of edits) {
          const at = edit.at % Math.max(1, text.length);
          if (edit.kind === 'delete') text = text.slice(0, at) + text.slice(at + 1);
          else if (edit.kind === 'insert') text = text.slice(0, at) + edit.character + text.slice(at);
          else text = text.slice(0, at) + edit.character + text.slice(at + 1);
        }
        pipeline(text);
      }),
      { numRuns: 2000 },
    );
  });
});
