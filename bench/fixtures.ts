/**
 * A large, realistic purchase order for the benchmarks, built by folding real events through the
 * domain (`initialState`, `apply`, `threeWayMatch`) rather than by hand, so it has exactly the
 * shape the workflow keeps: 200 goods lines, acknowledged, two receipts and two matched invoices.
 */
import { receiptJournal } from '../workflows/domain/ledger';
import { apply, initialState } from '../workflows/domain/lifecycle/apply';
import { view } from '../workflows/domain/lifecycle/views';
import { threeWayMatch } from '../workflows/domain/matching';
import { lineAmount, round2, sum } from '../workflows/domain/money';
import { CreatePurchaseOrder, GoodsReceipt, Invoice } from '../workflows/domain/schemas';
import type { Actor, InventoryMovement, JournalEntry, PoEvent, PoPolicy, PoState, PoView } from '../workflows/domain/state';
import { DEFAULT_PAYMENT_TERMS, resolveTolerances } from '../workflows/domain/policy';

export const LINE_COUNT = 200;
/** Ordered per line: enough headroom for every receipt the benchmarks post. */
const ORDERED_PER_LINE = 10_000;

export const actors = {
  buyer: { role: 'procurement', id: 'procurement#bench' } satisfies Actor,
  warehouse: { role: 'warehouse', id: 'warehouse#bench' } satisfies Actor,
  supplier: (supplierId: string): Actor => ({ role: 'supplier', id: `supplier:${supplierId}`, supplierId }),
};

const POLICY: PoPolicy = {
  paymentTerms: { ...DEFAULT_PAYMENT_TERMS },
  tolerances: resolveTolerances(),
  slas: { ackSla: '48h', ackReminder: '24h', lateDeliveryGrace: '24h', exceptionSla: '72h' },
  captureDiscounts: true,
};

/** Event instants one second apart from a fixed start: the fold is deterministic run to run. */
export class EventClock {
  private ms: number;
  constructor(start = '2026-11-02T08:00:00.000Z') {
    this.ms = Date.parse(start);
  }
  next(): string {
    this.ms += 1000;
    return new Date(this.ms).toISOString();
  }
}

/** Unit prices from 0.75 to 49.25, so line amounts differ from line to line. */
function unitPrice(lineNo: number): string {
  return `${lineNo % 50}.${lineNo % 2 === 0 ? '75' : '25'}`;
}

export function purchaseOrderBody(poNumber: string, supplierId: string, lineCount = LINE_COUNT, orderedPerLine = ORDERED_PER_LINE): CreatePurchaseOrder {
  return CreatePurchaseOrder.parse({
    poNumber,
    supplierId,
    currency: 'USD',
    buyer: 'jane.buyer@example.com',
    lines: Array.from({ length: lineCount }, (_, index) => ({
      lineNo: index + 1,
      sku: `SKU-${String(index + 1).padStart(4, '0')}`,
      description: `Fastener assortment ${index + 1}`,
      quantity: String(orderedPerLine),
      unitPrice: unitPrice(index + 1),
    })),
  });
}

/** A receipt of the same quantity on every line of the PO. */
export function receiptBody(state: PoState, receiptNumber: string, quantityPerLine: number): GoodsReceipt {
  return GoodsReceipt.parse({
    receiptNumber,
    location: 'MAIN',
    lines: state.lines.map((line) => ({ lineNo: line.lineNo, quantityReceived: String(quantityPerLine) })),
  });
}

/** An invoice for the same quantity on every line, at the agreed prices, with a correct total. */
export function invoiceBody(state: PoState, invoiceNumber: string, quantityPerLine: number): Invoice {
  const lines = state.lines.map((line) => ({ lineNo: line.lineNo, quantity: String(quantityPerLine), unitPrice: line.agreedUnitPrice }));
  return Invoice.parse({
    invoiceNumber,
    invoiceDate: '2026-11-20',
    currency: state.currency,
    lines,
    total: round2(sum(lines.map((line) => lineAmount(line.quantity, line.unitPrice)))),
  });
}

export function receiptEvent(receipt: GoodsReceipt, at: string): PoEvent {
  return { type: 'goods.received', at, actor: actors.warehouse, receipt: { ...receipt, receivedAt: at }, bodyHash: `bench-${receipt.receiptNumber}` };
}

export interface LargePurchaseOrder {
  /** Every event folded so far, in order (the ERP benchmark records them as setup). */
  history: { event: PoEvent; state: PoState }[];
  state: PoState;
  clock: EventClock;
}

/**
 * 200 lines acknowledged as ordered; receipts of 400 and 300 per line; invoices of 400 and 200
 * per line, both matched. A third invoice of 100 per line then still matches (700 ≤ 700).
 */
export function largePurchaseOrder(poNumber = 'PO-BENCH-200', supplierId = 'BENCH'): LargePurchaseOrder {
  const clock = new EventClock();
  const history: { event: PoEvent; state: PoState }[] = [];
  const issued: PoEvent = {
    type: 'po.issued',
    at: clock.next(),
    actor: actors.buyer,
    po: purchaseOrderBody(poNumber, supplierId),
    requestHash: `bench-${poNumber}`,
    policy: POLICY,
  };
  let state = initialState(issued as Extract<PoEvent, { type: 'po.issued' }>);
  history.push({ event: issued, state });
  const fold = (event: PoEvent) => {
    state = apply(state, event);
    history.push({ event, state });
  };

  fold({ type: 'po.acknowledged', at: clock.next(), actor: actors.supplier(supplierId), acknowledgement: { type: 'accept' } });
  fold(receiptEvent(receiptBody(state, 'GR-1', 400), clock.next()));
  fold(receiptEvent(receiptBody(state, 'GR-2', 300), clock.next()));
  for (const [invoiceNumber, quantity] of [['INV-1', 400], ['INV-2', 200]] as const) {
    const invoice = invoiceBody(state, invoiceNumber, quantity);
    const at = clock.next();
    const match = threeWayMatch({ state, invoice, at });
    if (match.status !== 'matched') throw new Error(`Fixture invoice ${invoiceNumber} did not match: ${match.status}`);
    fold({ type: 'invoice.received', at, actor: actors.supplier(supplierId), invoice, bodyHash: `bench-${invoiceNumber}`, match });
  }
  return { history, state, clock };
}

/** What the ERP is handed for a goods receipt: the same parts the workflow's postReceipt records. */
export interface ReceiptRecordParts {
  po: PoView;
  at: string;
  receiptNumber: string;
  journal: JournalEntry | null;
  inventory: InventoryMovement[];
  receipt: GoodsReceipt;
  timelineLength: number;
}

/** Folds one more receipt into `state`, returning the next state and what the ERP would record. */
export function nextReceipt(state: PoState, receiptNumber: string, quantityPerLine: number, at: string): { state: PoState; parts: ReceiptRecordParts } {
  const body = receiptBody(state, receiptNumber, quantityPerLine);
  const event = receiptEvent(body, at);
  const receipt = (event as Extract<PoEvent, { type: 'goods.received' }>).receipt;
  const inventory = receipt.lines.map((line) => ({
    sku: state.lines.find((poLine) => poLine.lineNo === line.lineNo)!.sku,
    location: receipt.location,
    quantity: line.quantityReceived,
    lineNo: line.lineNo,
  }));
  const journal = receiptJournal(state, receipt);
  const next = apply(state, event);
  return {
    state: next,
    parts: { po: view(next), at, receiptNumber, journal, inventory, receipt, timelineLength: next.timeline.length },
  };
}
