/**
 * The X12 layer on its own: separators read from the ISA, envelope checks (control numbers,
 * counts), set syntax with AK3/AK4 codes, the 997 we write and the 997 we read, and the mapping of
 * 855/856/810 to the commands the API takes. Fixtures: test/fixtures/edi/.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { acknowledgementFor, readAcknowledgement } from '../../activities/edi/x12/ack';
import { readInterchange } from '../../activities/edi/x12/envelope';
import { checkSetSyntax } from '../../activities/edi/x12/sets';
import { tokenize, X12SyntaxError } from '../../activities/edi/x12/syntax';
import { decimalN2, fromN2, writeInterchange } from '../../activities/edi/x12/writer';
import { mapSet, MappingRefusal, orderNumberOf } from '../../activities/edi/mapping';
import { changeOrder860, purchaseOrder850 } from '../../activities/edi/documents';

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '../fixtures/edi', name), 'utf8');
const po = { poNumber: 'PO-EDI-1', currency: 'USD', lines: [{ lineNo: 1, sku: 'BOLT-M8' }, { lineNo: 2, sku: 'NUT-M8' }] };

function checked(name: string) {
  const interchange = readInterchange(fixture(name));
  for (const group of interchange.groups) for (const set of group.sets) checkSetSyntax(set, group.functionalId);
  return interchange;
}

describe('X12 envelopes', () => {
  it('reads the separators from the ISA: the same ASN with | : and \' and CRLF reads the same', () => {
    const star = readInterchange(fixture('856.x12'));
    const pipe = readInterchange(fixture('856-other-separators.x12'));
    assert.equal(pipe.delimiters.element, '|');
    assert.equal(pipe.delimiters.component, ':');
    assert.equal(pipe.delimiters.segment, "'");
    assert.equal(pipe.delimiters.repetition, undefined, '004010 carries U in ISA11, not a repetition separator');
    assert.deepEqual(pipe.groups[0]!.sets[0]!.body.map((s) => s.elements), star.groups[0]!.sets[0]!.body.map((s) => s.elements));
    assert.deepEqual(pipe.header, star.header);
  });

  it('refuses an ISA that is not exactly 106 characters, and an IEA that does not match ISA13', () => {
    assert.throws(() => readInterchange(fixture('corrupt-isa-short.x12')), (error: X12SyntaxError) => error.code === 'EDI_ISA_LENGTH');
    assert.throws(() => readInterchange(fixture('corrupt-iea-control-mismatch.x12')), (error: X12SyntaxError) => error.code === 'EDI_IEA_CONTROL_NUMBER');
    assert.throws(() => readInterchange('GS*IN*X~'), (error: X12SyntaxError) => error.code === 'EDI_NO_ISA');
    assert.throws(() => readInterchange(fixture('810.x12').replace(/IEA\*1\*000001004~\n$/, '')), (error: X12SyntaxError) => error.code === 'EDI_IEA_MISSING');
  });

  it('flags SE01 segment counts, ST02/SE02 mismatches and GE01 set counts for the 997', () => {
    assert.deepEqual(readInterchange(fixture('corrupt-se-count.x12')).groups[0]!.sets[0]!.errors, ['4']);
    assert.deepEqual(readInterchange(fixture('corrupt-st-se-control.x12')).groups[0]!.sets[0]!.errors, ['3']);
    assert.deepEqual(readInterchange(fixture('corrupt-ge-count.x12')).groups[0]!.errors, ['5']);
  });

  it('rejects a bad set of a group with AK3/AK4 codes and leaves the good one accepted', () => {
    const interchange = checked('856-two-sets-one-bad.x12');
    const [good, bad] = interchange.groups[0]!.sets;
    assert.deepEqual(good!.errors, []);
    assert.deepEqual(bad!.errors.sort(), ['4', '5']);
    assert.deepEqual(
      bad!.segmentErrors.map((e) => [e.segmentId, e.position, e.code, e.elements.map((x) => [x.position, x.code])]),
      [
        ['BSN', 2, '8', [[3, '8']]],
        ['SN1', 8, '8', [[2, '6']]],
      ],
    );
    const ack = acknowledgementFor(interchange.groups[0]!, [
      { accepted: true, codes: [], segmentErrors: [] },
      { accepted: false, codes: bad!.errors, segmentErrors: bad!.segmentErrors },
    ]);
    assert.deepEqual(ack, [
      ['AK1', 'SH', '1008'],
      ['AK2', '856', '0001'],
      ['AK5', 'A'],
      ['AK2', '856', '0002'],
      ['AK3', 'BSN', '2', '', '8'],
      ['AK4', '3', '', '8', '20261332'],
      ['AK3', 'SN1', '8', '', '8'],
      ['AK4', '2', '', '6', 'two'],
      ['AK5', 'R', '4', '5'],
      ['AK9', 'P', '2', '2', '1'],
    ]);
  });

  it('writes an interchange that reads back: ISA of 106 characters, counts and control numbers right', () => {
    const raw = writeInterchange({
      sender: { qualifier: 'ZZ', id: 'P2PORCH' },
      receiver: { qualifier: 'ZZ', id: 'ACMEEDI', gsId: 'ACMEAPP' },
      functionalId: 'FA',
      interchangeControlNumber: 42,
      groupControlNumber: 7,
      at: new Date('2026-12-01T08:00:00Z'),
      sets: [{ id: '997', controlNumber: '0003', segments: [['AK1', 'IN', '1004'], ['AK9', 'A', '1', '1', '1']] }],
    });
    assert.equal(raw.indexOf('~'), 105);
    const back = readInterchange(raw);
    assert.equal(back.header.controlNumber, '000000042');
    assert.equal(back.groups[0]!.receiverId, 'ACMEAPP');
    assert.deepEqual(back.groups[0]!.sets[0]!.errors, []);
    assert.deepEqual(back.groups[0]!.errors, []);
  });

  it('a value containing a separator cannot break the interchange we write', () => {
    const segments = purchaseOrder850(
      { poNumber: 'PO-9', supplierId: 'ACME', currency: 'USD', createdAt: '2026-11-27T00:00:00Z', lines: [{ lineNo: 1, sku: 'A*B~C', description: 'Bolt > 8mm ~ zinc', quantity: '2', uom: 'EA', unitPrice: '1.50' }] },
      'original',
      'Acme*Corp',
    );
    const raw = writeInterchange({ sender: { qualifier: 'ZZ', id: 'US' }, receiver: { qualifier: 'ZZ', id: 'THEM' }, functionalId: 'PO', interchangeControlNumber: 1, groupControlNumber: 1, at: new Date(), sets: [{ id: '850', controlNumber: '0001', segments }] });
    const set = readInterchange(raw).groups[0]!.sets[0]!;
    assert.deepEqual(set.errors, []);
    assert.deepEqual(set.body.find((s) => s.elements[0] === 'PO1')!.elements, ['PO1', '1', '2', 'EA', '1.5', 'PE', 'BP', 'A B C']);
    assert.deepEqual(set.body.find((s) => s.elements[0] === 'AMT')!.elements, ['AMT', 'TT', '3']);
  });

  it('tokenizes a segment terminator followed by CRLF', () => {
    assert.equal(tokenize(fixture('856-other-separators.x12')).segments.length, 21);
  });

  it('implied-decimal N2 both ways', () => {
    assert.equal(decimalN2('1234.5'), '123450');
    assert.equal(decimalN2('0.07'), '7');
    assert.equal(fromN2('15000'), '150.00');
    assert.equal(fromN2('7'), '0.07');
    assert.equal(fromN2('-250'), '-2.50');
  });
});

describe('the partner\'s 997 for our 850', () => {
  it('reads accepted and rejected acknowledgements with their AK codes', () => {
    const accepted = readAcknowledgement(checked('997-for-850.x12').groups[0]!.sets[0]!);
    assert.equal(accepted.status, 'accepted');
    assert.equal(accepted.groupControlNumber, '7');
    const rejected = readAcknowledgement(checked('997-rejects-850.x12').groups[0]!.sets[0]!);
    assert.equal(rejected.status, 'rejected');
    assert.deepEqual(rejected.sets[0], { setId: '850', controlNumber: '0007', status: 'rejected', codes: ['5'], segmentErrors: [{ segmentId: 'PO1', position: '6', code: '8', elements: [{ position: '4', code: '7' }] }] });
  });
});

describe('mapping inbound sets to the API\'s commands', () => {
  it('855 with every line IA is an accept; IQ/IP make it accept_with_changes for the buyer', () => {
    const accept = checked('855-accept.x12').groups[0]!.sets[0]!;
    assert.equal(orderNumberOf(accept), 'PO-EDI-1');
    assert.deepEqual(mapSet(accept, po), {
      kind: 'acknowledge',
      documentKey: 'PO-EDI-1',
      body: { type: 'accept', lines: [{ lineNo: 1, status: 'accepted', promisedDate: '2026-12-10' }, { lineNo: 2, status: 'accepted' }] },
    });
    const changes = mapSet(checked('855-changes.x12').groups[0]!.sets[0]!, po);
    assert.deepEqual(changes.body, {
      type: 'accept_with_changes',
      lines: [
        { lineNo: 1, status: 'changed', quantity: '8', promisedDate: '2026-12-12' },
        { lineNo: 2, status: 'changed', quantity: '5', unitPrice: '4.2' },
      ],
    });
  });

  it('856: BSN02 is the ASN number, LIN by line number or buyer part, TD5 and REF BM carried', () => {
    assert.deepEqual(mapSet(checked('856.x12').groups[0]!.sets[0]!, po), {
      kind: 'asn',
      documentKey: 'ASN-EDI-1',
      body: { asnNumber: 'ASN-EDI-1', shipDate: '2026-12-01', expectedDeliveryDate: '2026-12-04', carrier: 'UPS Ground', trackingNumber: '1Z999AA10123456784', lines: [{ lineNo: 1, quantity: '10' }, { lineNo: 2, quantity: '5' }] },
    });
  });

  it('810: TDS in implied decimals, SAC freight, IT1 by line or part; BIG07 CR is a credit memo', () => {
    assert.deepEqual(mapSet(checked('810.x12').groups[0]!.sets[0]!, po), {
      kind: 'invoice',
      documentKey: 'INV-EDI-1',
      body: { invoiceNumber: 'INV-EDI-1', invoiceDate: '2026-12-05', currency: 'USD', lines: [{ lineNo: 1, quantity: '10', unitPrice: '12.5' }, { lineNo: 2, quantity: '5', unitPrice: '4' }], freight: '5.00', tax: '0.00', total: '150.00' },
    });
    assert.deepEqual(mapSet(checked('810-credit.x12').groups[0]!.sets[0]!, po), {
      kind: 'creditMemo',
      documentKey: 'CM-EDI-1',
      body: { creditMemoNumber: 'CM-EDI-1', invoiceNumber: 'INV-EDI-1', lines: [{ lineNo: 1, quantity: '1', unitPrice: '12.5' }], total: '12.50' },
    });
  });

  it('an IT1 naming no PO line is refused with the segment to point at (AK3 IT1, AK4 01 code 7)', () => {
    const set = checked('810.x12').groups[0]!.sets[0]!;
    assert.throws(
      () => mapSet(set, { ...po, lines: [{ lineNo: 1, sku: 'BOLT-M8' }] }),
      (error: MappingRefusal) => error.code === 'UNKNOWN_PO_LINE' && error.segmentError?.segmentId === 'IT1' && error.segmentError.position === 5 && error.segmentError.elements[0]!.code === '7',
    );
  });

  it('860 change order: AI add, DI delete, CA change with the quantity and price after it', () => {
    const order = { poNumber: 'PO-9', supplierId: 'ACME', currency: 'USD', createdAt: '2026-11-27T00:00:00Z', lines: [{ lineNo: 1, sku: 'A', quantity: '10', uom: 'EA', unitPrice: '2' }, { lineNo: 2, sku: 'B', quantity: '1', uom: 'EA', unitPrice: '3' }] };
    const segments = changeOrder860(order, { lines: [{ lineNo: 1, action: 'change', quantity: '12' }, { lineNo: 2, action: 'cancel' }, { lineNo: 3, action: 'add', sku: 'C', quantity: '4', unitPrice: '1.25' }] }, new Date('2026-11-30T00:00:00Z'));
    assert.deepEqual(segments.filter((s) => s[0] === 'POC'), [
      ['POC', '1', 'CA', '12', '', 'EA', '2', 'PE', 'BP', 'A'],
      ['POC', '2', 'DI', '0', '', 'EA', '3', 'PE', 'BP', 'B'],
      ['POC', '3', 'AI', '4', '', 'EA', '1.25', 'PE', 'BP', 'C'],
    ]);
  });
});
