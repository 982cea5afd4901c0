/**
 * EDI inbound (docs/edi.md): an 810 of 1,000 IT1 lines (two per line of a 500-line PO), parsed
 * and applied, against parsing the same interchange alone; and the same pipeline at 100 lines
 * against 1,000, which must stay linear.
 *
 * "Applied" is everything the API and the workflow compute for the set, in process: envelope and
 * syntax checks, mapping to the invoice command (zod included), its body hash, the workflow's own
 * validation, three-way match and ledger (`invoiceReceived`), the fold of the event into the PO
 * state, and the 997. The Update round trip and the ERP transaction do not depend on the line
 * count in a way the EDI layer controls; the `e2e` and `erp` sections measure them.
 */
import { hashBody } from '../api/canonical';
import { mapSet, orderNumberOf } from '../activities/edi/mapping';
import { acknowledgementFor } from '../activities/edi/x12/ack';
import { readInterchange } from '../activities/edi/x12/envelope';
import { checkSetSyntax } from '../activities/edi/x12/sets';
import { writeInterchange } from '../activities/edi/x12/writer';
import * as decide from '../workflows/domain/business-events';
import { apply, initialState } from '../workflows/domain/lifecycle/apply';
import { validateInvoice } from '../workflows/domain/lifecycle/validate';
import { decimalN2 } from '../activities/edi/x12/writer';
import { lineAmount, round2, sum } from '../workflows/domain/money';
import type { Invoice } from '../workflows/domain/schemas';
import type { PoEvent, PoState } from '../workflows/domain/state';
import { actors, EventClock, purchaseOrderBody, receiptBody, receiptEvent } from './fixtures';
import { performance } from 'node:perf_hooks';
import { result, stats, type BenchResult, type Stats } from './measure';
import { DEFAULT_PAYMENT_TERMS, resolveTolerances } from '../workflows/domain/policy';

const PARTNER = { qualifier: 'ZZ', id: 'BENCHEDI' };
const US = { qualifier: 'ZZ', id: 'P2PORCH' };

let sink = 0;

/** A PO of `lineCount` lines, acknowledged and fully received. */
export function receivedPurchaseOrder(poNumber: string, lineCount: number): PoState {
  const clock = new EventClock();
  const issued = {
    type: 'po.issued',
    at: clock.next(),
    actor: actors.buyer,
    po: purchaseOrderBody(poNumber, 'BENCH', lineCount, 100),
    requestHash: `bench-${poNumber}`,
    policy: { paymentTerms: { ...DEFAULT_PAYMENT_TERMS }, tolerances: resolveTolerances(), slas: { ackSla: '48h', ackReminder: '24h', lateDeliveryGrace: '24h', exceptionSla: '72h' }, captureDiscounts: true },
  } as Extract<PoEvent, { type: 'po.issued' }>;
  let state = initialState(issued);
  state = apply(state, { type: 'po.acknowledged', at: clock.next(), actor: actors.supplier('BENCH'), acknowledgement: { type: 'accept' } });
  state = apply(state, receiptEvent(receiptBody(state, 'GR-1', 100), clock.next()));
  return state;
}

/** An 810 with two IT1 per PO line (40 + 60 of the 100 received), at the agreed prices. */
export function invoice810(state: PoState, invoiceNumber: string): string {
  const segments: string[][] = [['BIG', '20261205', invoiceNumber, '', state.poNumber], ['CUR', 'SE', state.currency]];
  const amounts: string[] = [];
  for (const line of state.lines) {
    for (const quantity of ['40', '60']) {
      segments.push(['IT1', String(line.lineNo), quantity, 'EA', line.agreedUnitPrice, 'PE', 'BP', line.sku]);
      amounts.push(lineAmount(quantity, line.agreedUnitPrice));
    }
  }
  segments.push(['TDS', decimalN2(round2(sum(amounts)))], ['CTT', String(state.lines.length * 2)]);
  return writeInterchange({ sender: PARTNER, receiver: US, functionalId: 'IN', interchangeControlNumber: 1, groupControlNumber: 1, at: new Date('2026-12-05T10:00:00Z'), sets: [{ id: '810', controlNumber: '0001', segments }] });
}

function parseOnly(raw: string): number {
  const interchange = readInterchange(raw);
  const group = interchange.groups[0]!;
  for (const set of group.sets) checkSetSyntax(set, group.functionalId);
  return group.sets[0]!.body.length;
}

/** What EdiInbound and the workflow compute for the set, in process. */
function parseAndApply(raw: string, state: PoState): number {
  const interchange = readInterchange(raw);
  const group = interchange.groups[0]!;
  const set = group.sets[0]!;
  checkSetSyntax(set, group.functionalId);
  if (set.errors.length > 0) throw new Error(`The benchmark 810 has errors: ${set.errors.join(',')}`);
  if (orderNumberOf(set) !== state.poNumber) throw new Error('The benchmark 810 names another PO');
  const command = mapSet(set, state);
  const body = command.body as Invoice;
  const bodyHash = hashBody(body);
  validateInvoice(state, body);
  const outcome = decide.invoiceReceived(state, { actor: actors.supplier('BENCH'), body, bodyHash }, '2026-12-05T10:00:00.000Z');
  const event = outcome.record!.events[0]!;
  if (event.type !== 'invoice.received' || event.match.status !== 'matched') throw new Error(`The benchmark invoice should match, got ${JSON.stringify(event.type === 'invoice.received' ? event.match.status : event.type)}`);
  const next = apply(state, event);
  const ack = writeInterchange({ sender: US, receiver: PARTNER, functionalId: 'FA', interchangeControlNumber: 2, groupControlNumber: 2, at: new Date(), sets: [{ id: '997', controlNumber: '0001', segments: acknowledgementFor(group, [{ accepted: true, codes: [], segmentErrors: [] }]) }] });
  return next.invoices.length + ack.length;
}

/**
 * Like measurePair, but in blocks of `perBlock` calls timed together: a 1,000-line apply makes
 * garbage that the collector reclaims a little later, and with calls alternating one by one that
 * cost lands on whichever call runs next, often the baseline. Timed in blocks, each side pays for
 * its own garbage (only a block's last call can spill over), and a sample is the mean call of a block.
 */
function measureBlocks(options: { warmup: number; blocks: number; perBlock: number; subject: () => void; baseline: () => void }): { subject: Stats; baseline: Stats } {
  const subject: number[] = [];
  const baseline: number[] = [];
  const block = (fn: () => void) => {
    const start = performance.now();
    for (let i = 0; i < options.perBlock; i++) fn();
    return (performance.now() - start) / options.perBlock;
  };
  for (let round = 0; round < options.warmup + options.blocks; round++) {
    const measured = round >= options.warmup;
    const [first, second] = round % 2 === 0 ? (['baseline', 'subject'] as const) : (['subject', 'baseline'] as const);
    for (const side of [first, second]) {
      const time = block(side === 'subject' ? options.subject : options.baseline);
      if (measured) (side === 'subject' ? subject : baseline).push(time);
    }
  }
  return { subject: stats(subject), baseline: stats(baseline) };
}

export async function ediBenchmarks(): Promise<BenchResult[]> {
  const large = receivedPurchaseOrder('PO-EDI-BENCH-500', 500);
  const small = receivedPurchaseOrder('PO-EDI-BENCH-50', 50);
  const raw1000 = invoice810(large, 'INV-EDI-1000');
  const raw100 = invoice810(small, 'INV-EDI-100');

  const rounds = { warmup: 3, blocks: 30, perBlock: 10 };
  const applyLarge = () => {
    sink += parseAndApply(raw1000, large);
  };
  const applyVsParse = measureBlocks({
    ...rounds,
    subject: applyLarge,
    baseline: () => {
      sink += parseOnly(raw1000);
    },
  });
  const linear = measureBlocks({
    ...rounds,
    subject: applyLarge,
    baseline: () => {
      sink += parseAndApply(raw100, small);
    },
  });
  if (sink === 0) throw new Error('The EDI benchmarks computed nothing');
  const kb = (text: string) => `${Math.round(text.length / 1024)} KB`;
  return [
    result('edi', '810 of 1,000 IT1 lines: parse + apply', applyVsParse, 'parse alone (envelopes + syntax)', 20, [
      `810 of 1,000 IT1 lines (${kb(raw1000)}) against a 500-line PO, received; ${rounds.blocks} blocks of ${rounds.perBlock} calls each side after ${rounds.warmup} warm-up blocks; a sample is the mean call of a block`,
    ]),
    result('edi', 'parse + apply: 1,000 IT1 lines', linear, 'parse + apply: 100 IT1 lines', 12, ['linear in lines: 10× the lines may take at most 12× the time']),
  ];
}
