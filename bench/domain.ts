/**
 * The pure domain on a 200-line PO with two receipts and two earlier invoices, against the cost
 * of deep-copying that same state (`structuredClone`): the work any handler does at least once.
 */
import { apply } from '../workflows/domain/lifecycle/apply';
import { view } from '../workflows/domain/lifecycle/views';
import { threeWayMatch } from '../workflows/domain/matching';
import { invoiceBody, largePurchaseOrder, LINE_COUNT, receiptBody, receiptEvent } from './fixtures';
import { measurePair, result, type BenchResult } from './measure';

const WARMUP = 50;
const ITERATIONS = 300;

/** Keeps results reachable so no call can be optimised away. */
let sink = 0;

export async function domainBenchmarks(): Promise<BenchResult[]> {
  const { state, clock } = largePurchaseOrder();
  const sizeKb = Math.round(JSON.stringify(state).length / 1024);
  const clone = () => {
    sink += structuredClone(state).lines.length;
  };

  const invoice = invoiceBody(state, 'INV-3', 100);
  const at = clock.next();
  const probe = threeWayMatch({ state, invoice, at });
  if (probe.status !== 'matched') throw new Error(`The benchmark invoice should match, got ${probe.status}`);
  const match = await measurePair({
    warmup: WARMUP,
    iterations: ITERATIONS,
    subject: () => {
      sink += threeWayMatch({ state, invoice, at }).lines.length;
    },
    baseline: clone,
  });

  const receipt = receiptEvent(receiptBody(state, 'GR-3', 10), clock.next());
  const applyView = await measurePair({
    warmup: WARMUP,
    iterations: ITERATIONS,
    subject: () => {
      sink += view(apply(state, receipt)).receipts.length;
    },
    baseline: clone,
  });

  if (sink === 0) throw new Error('The domain benchmarks computed nothing');
  const shape = `${LINE_COUNT} lines, 2 receipts, 2 invoices; state ${sizeKb} KB as JSON`;
  return [
    result('domain', `threeWayMatch: ${LINE_COUNT}-line invoice`, match, 'structuredClone(state)', 10, [shape]),
    result('domain', `apply(goods receipt, ${LINE_COUNT} lines) + view`, applyView, 'structuredClone(state)', 10),
  ];
}
