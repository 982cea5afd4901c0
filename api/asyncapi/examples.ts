/**
 * One example payload per event type, for the AsyncAPI document and its page. A unit test parses
 * each with its catalog schema, so an example cannot drift from the event it shows.
 */
import type { EventType } from '../../workflows/domain/schemas/event-catalog';

const at = '2026-11-27T09:30:00.000Z';
const base = (status: string) => ({ version: 1, poNumber: 'PO-10001', status });
const match = (status: 'matched' | 'exception' | 'pending_receipt') => ({
  status,
  reasons: [],
  lines: [
    {
      lineNo: 1,
      status,
      reasons: status === 'exception' ? [{ code: 'PRICE_VARIANCE', expected: '10.00', actual: '10.30', tolerance: '0.20', message: 'Unit price 10.30 is over 10.00 by more than 0.20' }] : [],
    },
  ],
  matchedAt: at,
});
const payment = { dueDate: '2026-12-27', discountDate: '2026-12-07', scheduledFor: '2026-12-07T09:00:00.000Z', amount: '98.00', discount: '2.00' };
const movements = [{ sku: 'WIDGET-1', location: 'MAIN', quantity: '10', lineNo: 1 }];
const acknowledgement = { type: 'accept' as const };

export const EVENT_EXAMPLES: Record<EventType, Record<string, unknown>> = {
  'po.issued': {
    ...base('issued'),
    po: {
      poNumber: 'PO-10001',
      supplierId: 'ACME',
      currency: 'USD',
      buyer: 'jane.buyer@distributor.example',
      lines: [{ lineNo: 1, sku: 'WIDGET-1', kind: 'goods', quantity: '10', uom: 'EA', unitPrice: '10.00', requestedDate: '2026-12-01' }],
    },
  },
  'po.acknowledged': { ...base('acknowledged'), acknowledgement },
  'po.rejected': { ...base('cancelled'), acknowledgement: { type: 'reject', reason: 'Discontinued item' } },
  'po.changes_proposed': {
    ...base('changes_pending'),
    acknowledgement: { type: 'accept_with_changes', lines: [{ lineNo: 1, status: 'changed', quantity: '8', promisedDate: '2026-12-05' }] },
  },
  'po.changes_approved': { ...base('acknowledged'), decision: 'approve' },
  'po.changes_rejected': { ...base('issued'), decision: 'reject', reason: 'We need all 10 by December 1st' },
  'po.changed': { ...base('issued'), changeOrder: { reason: 'More widgets', lines: [{ action: 'change', lineNo: 1, quantity: '12' }] } },
  'po.cancelled': { ...base('cancelled'), reason: 'Project stopped' },
  'asn.received': { ...base('in_transit'), asn: { asnNumber: 'ASN-1', shipDate: '2026-11-27', lines: [{ lineNo: 1, quantity: '10' }] } },
  'goods.received': {
    ...base('received'),
    receipt: { receiptNumber: 'GR-1', receivedAt: at, location: 'MAIN', lines: [{ lineNo: 1, quantityReceived: '10', quantityRejected: '0' }] },
    inventory: movements,
  },
  'inventory.adjusted': { version: 1, poNumber: 'PO-10001', cause: 'goods.received', movements },
  'invoice.matched': { ...base('received'), invoiceNumber: 'INV-7781', total: '100.00', match: match('matched'), payment },
  'invoice.pending_receipt': { ...base('acknowledged'), invoiceNumber: 'INV-7781', total: '100.00', match: match('pending_receipt') },
  'invoice.exception': { ...base('received'), invoiceNumber: 'INV-7781', total: '103.00', match: match('exception') },
  'credit_memo.received': {
    ...base('received'),
    creditMemo: { creditMemoNumber: 'CM-1', invoiceNumber: 'INV-7781', lines: [{ lineNo: 1, quantity: '1', unitPrice: '10.00' }], total: '10.00' },
  },
  'invoice.approved': { ...base('received'), invoiceNumber: 'INV-7781', action: 'approve', reason: 'Price increase agreed by phone', by: 'finance#3f2a', payment },
  'invoice.rejected': { ...base('received'), invoiceNumber: 'INV-7781', action: 'reject', reason: 'Wrong price', by: 'finance#3f2a' },
  'payment.scheduled': { ...base('received'), invoiceNumber: 'INV-7781', payment },
  'payment.sent': { ...base('received'), invoiceNumber: 'INV-7781', paymentId: 'PAY-3f2a9c', amount: '98.00', discount: '2.00' },
  'payment.cleared': { ...base('received'), invoiceNumber: 'INV-7781', paymentId: 'PAY-3f2a9c', status: 'cleared', reference: 'BANK-123' },
  'payment.failed': { ...base('received'), invoiceNumber: 'INV-7781', paymentId: 'PAY-3f2a9c', status: 'failed', reference: 'BANK-124' },
  'acknowledgement.reminder': base('issued'),
  'acknowledgement.overdue': { ...base('issued'), buyer: 'jane.buyer@distributor.example', issuedAt: at, sla: '48h' },
  'delivery.late': { ...base('partially_received'), buyer: 'jane.buyer@distributor.example', lineNos: [2] },
  'exception.overdue': { ...base('received'), exceptionId: 'EXC-1', invoiceNumber: 'INV-7781', code: 'MATCH_EXCEPTION', openedAt: at, sla: '72h' },
  'po.closed': base('closed'),
};
