/**
 * Inbound transaction sets → the commands the API takes (docs/edi.md, "Mapping"): 855 →
 * acknowledgement, 856 → ASN, 810 → invoice or credit memo. Each set names one PO; its lines are
 * found by PO line number or the buyer's part number. What cannot be mapped is a refusal with the
 * segment to point at in the 997 (AK3/AK4), and nothing is applied.
 */
import type { ZodType } from 'zod';
import {
  Acknowledgement,
  AdvanceShipNotice,
  CreditMemo,
  Invoice,
} from '../../workflows/domain/schemas';
import type { AcknowledgementLine } from '../../workflows/domain/schemas';
import { round2, sum } from '../../workflows/domain/money';
import { ElementErrorCode, isoDate, SegmentErrorCode } from './x12/envelope';
import type { SegmentError, TransactionSet } from './x12/envelope';
import { element, segmentId } from './x12/syntax';
import type { Segment } from './x12/syntax';
import { decimalR, fromN2 } from './x12/writer';

/** The PO lines a set's lines are matched against. */
export interface PoLinesForMapping {
  poNumber: string;
  currency: string;
  lines: readonly { lineNo: number; sku: string }[];
}

export type MappedCommand =
  | { kind: 'acknowledge'; body: Acknowledgement; documentKey: string }
  | { kind: 'asn'; body: AdvanceShipNotice; documentKey: string }
  | { kind: 'invoice'; body: Invoice; documentKey: string }
  | { kind: 'creditMemo'; body: CreditMemo; documentKey: string };

export class MappingRefusal extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly segmentError?: SegmentError,
  ) {
    super(message);
    this.name = 'MappingRefusal';
  }
}

/** The PO a set is about: BAK03 (855), PRF01 (856), BIG04 (810). */
export function orderNumberOf(set: TransactionSet): string {
  const find = (id: string, position: number) => {
    const segment = set.body.find((candidate) => segmentId(candidate) === id);
    return segment ? element(segment, position) : '';
  };
  if (set.id === '855') return find('BAK', 3);
  if (set.id === '810') return find('BIG', 4);
  if (set.id === '856') {
    const orders = new Set(set.body.filter((segment) => segmentId(segment) === 'PRF').map((segment) => element(segment, 1)));
    if (orders.size > 1) throw new MappingRefusal('EDI_SEVERAL_ORDERS', 'This ship notice names several POs (PRF); send one 856 per PO.', pointAt(set, set.body.filter((s) => segmentId(s) === 'PRF')[1]!, 1));
    return [...orders][0] ?? '';
  }
  return '';
}

/** AK3 for the set's segment, with an AK4 "invalid code value" on the element that did not resolve. */
function pointAt(set: TransactionSet, segment: Segment, position: number): SegmentError {
  const value = element(segment, position);
  return {
    segmentId: segmentId(segment),
    position: set.body.indexOf(segment) + 2,
    code: SegmentErrorCode.dataElementErrors,
    elements: [{ position, code: ElementErrorCode.invalidCode, ...(value === '' ? {} : { value: value.slice(0, 99) }) }],
  };
}

const lineIndexes = new WeakMap<PoLinesForMapping, { byNumber: Set<number>; bySku: Map<string, number | null> }>();

/** Line numbers and buyer part numbers of the PO, indexed once per mapping (a set may carry 1,000 lines). */
function lineIndex(po: PoLinesForMapping): { byNumber: Set<number>; bySku: Map<string, number | null> } {
  let index = lineIndexes.get(po);
  if (!index) {
    const bySku = new Map<string, number | null>();
    for (const line of po.lines) bySku.set(line.sku, bySku.has(line.sku) ? null : line.lineNo);
    index = { byNumber: new Set(po.lines.map((line) => line.lineNo)), bySku };
    lineIndexes.set(po, index);
  }
  return index;
}

/** The PO line a set's line means: by line number, else by the buyer's part number (BP). */
function resolveLine(set: TransactionSet, po: PoLinesForMapping, segment: Segment, lineNumber: string, qualifierPairsFrom: number): number {
  const { byNumber, bySku } = lineIndex(po);
  if (/^\d+$/.test(lineNumber) && byNumber.has(Number(lineNumber))) return Number(lineNumber);
  for (let position = qualifierPairsFrom; position < segment.elements.length; position += 2) {
    if (element(segment, position) === 'BP') {
      // A part number on two lines names neither.
      const lineNo = bySku.get(element(segment, position + 1));
      if (lineNo !== undefined && lineNo !== null) return lineNo;
    }
  }
  throw new MappingRefusal(
    'UNKNOWN_PO_LINE',
    `Segment ${segmentId(segment)} at position ${set.body.indexOf(segment) + 2} names no line of purchase order ${po.poNumber} (line number "${lineNumber}", or a buyer part number after BP).`,
    pointAt(set, segment, lineNumber === '' ? qualifierPairsFrom + 1 : 1),
  );
}

function parse<T>(schema: ZodType<T>, value: unknown, set: TransactionSet): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new MappingRefusal('INVALID_DOCUMENT', `The ${set.id} does not make a valid document: ${issue.path.join('.') || 'body'}: ${issue.message}.`);
}

const segmentsOf = (set: TransactionSet, id: string): Segment[] => set.body.filter((segment) => segmentId(segment) === id);
const first = (set: TransactionSet, id: string): Segment | undefined => set.body.find((segment) => segmentId(segment) === id);

/** Maps a syntactically valid set to the command the API would receive for it. */
export function mapSet(set: TransactionSet, po: PoLinesForMapping): MappedCommand {
  switch (set.id) {
    case '855':
      return mapAcknowledgement(set, po);
    case '856':
      return mapShipNotice(set, po);
    case '810':
      return mapInvoice(set, po);
    default:
      throw new MappingRefusal('EDI_SET_NOT_SUPPORTED', `Transaction set ${set.id} is not one we apply.`);
  }
}

const ACK_STATUS: Record<string, AcknowledgementLine['status']> = { IA: 'accepted', IR: 'rejected', IB: 'backordered' };

function mapAcknowledgement(set: TransactionSet, po: PoLinesForMapping): MappedCommand {
  const bak = first(set, 'BAK')!;
  const lines: AcknowledgementLine[] = [];
  let current: { lineNo: number; unitPrice?: string } | undefined;
  for (const segment of set.body) {
    const id = segmentId(segment);
    if (id === 'PO1') {
      const lineNo = resolveLine(set, po, segment, element(segment, 1), 6);
      const price = element(segment, 4);
      current = { lineNo, ...(price ? { unitPrice: decimalR(price) } : {}) };
    } else if (id === 'ACK') {
      if (!current) throw new MappingRefusal('EDI_ACK_WITHOUT_LINE', 'An ACK segment must follow the PO1 of the line it answers.', pointAt(set, segment, 1));
      const code = element(segment, 1);
      const status = ACK_STATUS[code] ?? 'changed';
      const quantity = element(segment, 2);
      const date = element(segment, 5);
      const line: AcknowledgementLine = { lineNo: current.lineNo, status };
      if (status === 'changed') {
        if (quantity) line.quantity = decimalR(quantity);
        if (code === 'IP' && current.unitPrice) line.unitPrice = current.unitPrice;
        if (date) line.promisedDate = isoDate(date);
      } else if (status === 'accepted' && date) {
        line.promisedDate = isoDate(date);
      }
      if (lines.some((other) => other.lineNo === line.lineNo)) throw new MappingRefusal('EDI_LINE_TWICE', `Line ${line.lineNo} is answered twice.`, pointAt(set, segment, 1));
      lines.push(line);
    }
  }
  const purpose = element(bak, 2);
  // BAK02 AC with every line IA changes nothing: it is an accept, as the API would need it.
  const type = purpose === 'RJ' ? 'reject' : lines.some((line) => line.status !== 'accepted') ? 'accept_with_changes' : 'accept';
  const message = segmentsOf(set, 'MSG').map((segment) => element(segment, 1)).join(' ').trim();
  const body = parse(
    Acknowledgement,
    {
      type,
      ...(type === 'reject' ? { reason: message || 'Rejected by the supplier (855 BAK02 RJ).' } : message ? { reason: message } : {}),
      ...(lines.length > 0 && type !== 'reject' ? { lines } : {}),
    },
    set,
  );
  return { kind: 'acknowledge', body, documentKey: po.poNumber };
}

function mapShipNotice(set: TransactionSet, po: PoLinesForMapping): MappedCommand {
  const bsn = first(set, 'BSN')!;
  const dates = new Map(segmentsOf(set, 'DTM').map((segment) => [element(segment, 1), element(segment, 2)]));
  const td5 = first(set, 'TD5');
  const tracking = segmentsOf(set, 'REF').find((segment) => ['BM', 'CN', '2I'].includes(element(segment, 1)));
  const lines: { lineNo: number; quantity: string }[] = [];
  let lineNo: number | undefined;
  for (const segment of set.body) {
    const id = segmentId(segment);
    if (id === 'HL') lineNo = undefined;
    if (id === 'LIN') lineNo = resolveLine(set, po, segment, element(segment, 1), 2);
    if (id === 'SN1') {
      if (lineNo === undefined) throw new MappingRefusal('EDI_SN1_WITHOUT_LINE', 'An SN1 segment must follow the LIN of its item.', pointAt(set, segment, 2));
      const existing = lines.find((line) => line.lineNo === lineNo);
      const quantity = decimalR(element(segment, 2));
      if (existing) existing.quantity = sum([existing.quantity, quantity]).toFixed();
      else lines.push({ lineNo, quantity });
    }
  }
  const shipDate = dates.get('011') ?? element(bsn, 3);
  const delivery = dates.get('017') ?? dates.get('067');
  const body = parse(
    AdvanceShipNotice,
    {
      asnNumber: element(bsn, 2),
      shipDate: isoDate(shipDate),
      ...(delivery ? { expectedDeliveryDate: isoDate(delivery) } : {}),
      ...(td5 && element(td5, 5) ? { carrier: element(td5, 5) } : td5 && element(td5, 3) ? { carrier: element(td5, 3) } : {}),
      ...(tracking ? { trackingNumber: element(tracking, 2) } : {}),
      lines,
    },
    set,
  );
  return { kind: 'asn', body, documentKey: body.asnNumber };
}

function mapInvoice(set: TransactionSet, po: PoLinesForMapping): MappedCommand {
  const big = first(set, 'BIG')!;
  const cur = first(set, 'CUR');
  // Several IT1 may bill one PO line (lots, ship-to splits): at one price they are one invoice
  // line with their quantities added; at two prices the invoice cannot say which is meant.
  const lines: { lineNo: number; quantity: string; unitPrice: string }[] = [];
  const byLine = new Map<number, { lineNo: number; quantity: string; unitPrice: string }>();
  for (const segment of segmentsOf(set, 'IT1')) {
    const lineNo = resolveLine(set, po, segment, element(segment, 1), 6);
    const quantity = decimalR(element(segment, 2));
    const unitPrice = decimalR(element(segment, 4));
    const existing = byLine.get(lineNo);
    if (existing && existing.unitPrice !== unitPrice) {
      throw new MappingRefusal('EDI_LINE_TWO_PRICES', `Line ${lineNo} of purchase order ${po.poNumber} is invoiced at two prices in this 810.`, pointAt(set, segment, 4));
    }
    if (existing) {
      existing.quantity = sum([existing.quantity, quantity]).toFixed();
      continue;
    }
    const line = { lineNo, quantity, unitPrice };
    byLine.set(lineNo, line);
    lines.push(line);
  }
  const total = fromN2(element(first(set, 'TDS')!, 1));
  const freight = segmentsOf(set, 'SAC')
    .filter((segment) => element(segment, 1) === 'C' && element(segment, 5) !== '')
    .map((segment) => fromN2(element(segment, 5)));
  const tax = segmentsOf(set, 'TXI').map((segment) => element(segment, 2)).filter((value) => value !== '');
  if (element(big, 7) === 'CR') {
    const original = segmentsOf(set, 'REF').find((segment) => ['IV', 'OI'].includes(element(segment, 1)));
    if (!original) throw new MappingRefusal('EDI_CREDIT_WITHOUT_INVOICE', 'A credit memo (BIG07 CR) needs REF*IV with the invoice it credits.', pointAt(set, big, 7));
    const body = parse(CreditMemo, { creditMemoNumber: element(big, 2), invoiceNumber: element(original, 2), lines, total }, set);
    return { kind: 'creditMemo', body, documentKey: body.creditMemoNumber };
  }
  const body = parse(
    Invoice,
    {
      invoiceNumber: element(big, 2),
      invoiceDate: isoDate(element(big, 1)),
      currency: cur ? element(cur, 2) : po.currency,
      lines,
      freight: round2(sum(freight)),
      tax: round2(sum(tax)),
      total,
    },
    set,
  );
  return { kind: 'invoice', body, documentKey: body.invoiceNumber };
}
