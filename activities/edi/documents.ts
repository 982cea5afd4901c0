/**
 * The documents we send: the 850 purchase order (BEG01 00 original, 01 cancellation) and the 860
 * change order (docs/adr/0102-change-orders-as-860.md). Built from the PO as the ERP recorded it;
 * pure, so the same PO always gives the same segments.
 */
import type { ChangeOrder } from '../../workflows/domain/schemas';
import { lineAmount, round2, sum } from '../../workflows/domain/money';
import { decimalR, ymd } from './x12/writer';

export interface OrderLine {
  lineNo: number;
  sku: string;
  description?: string | undefined;
  quantity: string;
  uom: string;
  unitPrice: string;
  requestedDate?: string | undefined;
  cancelled?: boolean;
}

export interface OrderForEdi {
  poNumber: string;
  supplierId: string;
  currency: string;
  buyer?: string | undefined;
  createdAt: string;
  lines: readonly OrderLine[];
}

const compactDate = (isoDate: string): string => isoDate.slice(0, 10).replace(/-/g, '');

/** BEG01: 00 original, 01 cancellation. */
export type OrderPurpose = 'original' | 'cancellation';

/** `buyerId`: our interchange id, named in N1*BY; `supplierName`: the partner, in N1*SE. */
export function purchaseOrder850(po: OrderForEdi, purpose: OrderPurpose, supplierName: string, buyerId = 'BUYER'): string[][] {
  const lines = po.lines.filter((line) => purpose === 'cancellation' || !line.cancelled);
  const segments: string[][] = [
    ['BEG', purpose === 'original' ? '00' : '01', 'SA', po.poNumber, '', compactDate(po.createdAt)],
    ['CUR', 'BY', po.currency],
  ];
  if (po.buyer) segments.push(['PER', 'BD', po.buyer]);
  segments.push(['N1', 'BY', 'Buyer', '92', buyerId], ['N1', 'SE', supplierName, '92', po.supplierId]);
  for (const line of lines) {
    segments.push(['PO1', String(line.lineNo), decimalR(line.quantity), line.uom, decimalR(line.unitPrice), 'PE', 'BP', line.sku]);
    if (line.description) segments.push(['PID', 'F', '', '', '', line.description.slice(0, 80)]);
    if (line.requestedDate) segments.push(['DTM', '002', compactDate(line.requestedDate)]);
  }
  const total = round2(sum(lines.map((line) => lineAmount(line.quantity, line.unitPrice))));
  segments.push(['CTT', String(lines.length), decimalR(sum(lines.map((line) => line.quantity)).toFixed())], ['AMT', 'TT', decimalR(total)]);
  return segments;
}

/**
 * POC02: AI add item, DI delete item, CA changes to line items. POC03 is the quantity ordered after
 * the change, POC06 the price after it; a date change goes in the DTM*002 that follows.
 */
export function changeOrder860(po: OrderForEdi, change: ChangeOrder, at: Date): string[][] {
  const segments: string[][] = [['BCH', '04', 'SA', po.poNumber, '', '', compactDate(po.createdAt)], ['DTM', '010', ymd(at)]];
  for (const line of change.lines) {
    const current = po.lines.find((candidate) => candidate.lineNo === line.lineNo);
    const code = line.action === 'add' ? 'AI' : line.action === 'cancel' ? 'DI' : 'CA';
    const quantity = line.action === 'cancel' ? '0' : (line.quantity ?? current?.quantity ?? '');
    const unitPrice = line.unitPrice ?? current?.unitPrice ?? '';
    segments.push(['POC', String(line.lineNo), code, decimalR(quantity), '', line.uom ?? current?.uom ?? 'EA', unitPrice === '' ? '' : decimalR(unitPrice), 'PE', 'BP', line.sku ?? current?.sku ?? '']);
    if (line.requestedDate) segments.push(['DTM', '002', compactDate(line.requestedDate)]);
  }
  segments.push(['CTT', String(change.lines.length)]);
  return segments;
}
