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
const finance = { role: 'finance', id: 'finance#3f2a' };
const hold = { reason: 'Quality complaint pending', releaseOn: '2026-12-15', placedAt: at, placedBy: finance };
const approval = { requestId: 'APR-1', subject: 'issue', reason: 'Budgeted for Q4', requiredApprovals: 2, total: '12000.00' };
const memo = { creditMemoNumber: 'CM-1', invoiceNumber: 'INV-7781', lines: [{ lineNo: 1, quantity: '1', unitPrice: '10.00' }], total: '10.00' };
const reasons = [{ code: 'PRICE_VARIANCE', expected: '10.00', actual: '10.30', tolerance: '0.20', message: 'Unit price 10.30 is over 10.00 by more than 0.20' }];

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
  'po.approval_recorded': { ...base('pending_approval'), ...approval, decision: 'approve', approvals: 1 },
  'po.approval_rejected': { ...base('cancelled'), ...approval, decision: 'reject', reason: 'Not in the budget', approvals: 0 },
  'po.approved': { ...base('issued'), ...approval, decision: 'approve', approvals: 2 },
  'approval.overdue': {
    ...base('pending_approval'),
    requestId: 'APR-1',
    subject: 'issue',
    total: '12000.00',
    currency: 'USD',
    requiredApprovals: 2,
    approvals: 1,
    missingApprovals: 1,
    requestedAt: at,
    requestedBy: 'procurement#3f2a',
    buyer: 'jane.buyer@distributor.example',
    sla: '48h',
  },
  'po.acknowledged': { ...base('acknowledged'), acknowledgement },
  'po.rejected': { ...base('cancelled'), acknowledgement: { type: 'reject', reason: 'Discontinued item' } },
  'po.changes_proposed': {
    ...base('changes_pending'),
    acknowledgement: { type: 'accept_with_changes', lines: [{ lineNo: 1, status: 'changed', quantity: '8', promisedDate: '2026-12-05' }] },
  },
  'po.changes_approved': { ...base('acknowledged'), decision: 'approve' },
  'po.changes_rejected': { ...base('issued'), decision: 'reject', reason: 'We need all 10 by December 1st' },
  'po.change_pending_approval': {
    ...base('acknowledged'),
    approvalRequest: {
      id: 'APR-2',
      subject: 'change_order',
      status: 'pending',
      currency: 'USD',
      total: '15000.00',
      requiredApprovals: 1,
      requestedAt: at,
      requestedBy: { role: 'procurement', id: 'procurement#3f2a' },
      changeOrder: { lines: [{ action: 'change', lineNo: 1, quantity: '1500' }] },
      decisions: [],
    },
    previousTotal: '100.00',
    increase: '14900.00',
  },
  'po.changed': { ...base('issued'), changeOrder: { reason: 'More widgets', lines: [{ action: 'change', lineNo: 1, quantity: '12' }] } },
  'po.cancelled': { ...base('cancelled'), reason: 'Project stopped' },
  'asn.received': { ...base('in_transit'), asn: { asnNumber: 'ASN-1', shipDate: '2026-11-27', lines: [{ lineNo: 1, quantity: '10' }] } },
  'goods.received': {
    ...base('received'),
    receipt: { receiptNumber: 'GR-1', receivedAt: at, location: 'MAIN', lines: [{ lineNo: 1, quantityReceived: '10', quantityRejected: '0' }] },
    inventory: movements,
  },
  'inventory.adjusted': { version: 1, poNumber: 'PO-10001', cause: 'goods.received', movements },
  'goods.returned': {
    ...base('received'),
    goodsReturn: { rmaNumber: 'RMA-1', reason: 'Damaged in transit', location: 'MAIN', replacement: true, lines: [{ lineNo: 1, quantity: '1' }] },
    inventory: [{ sku: 'WIDGET-1', location: 'MAIN', quantity: '-1', lineNo: 1 }],
    debitNotes: [{ creditMemoNumber: 'DN-RMA-1', invoiceNumber: 'INV-7781', lines: [{ lineNo: 1, quantity: '1', unitPrice: '10.00' }], total: '10.00' }],
  },
  'invoice.matched': { ...base('received'), invoiceNumber: 'INV-7781', total: '100.00', match: match('matched'), payment },
  'invoice.pending_receipt': { ...base('acknowledged'), invoiceNumber: 'INV-7781', total: '100.00', match: match('pending_receipt') },
  'invoice.exception': { ...base('received'), invoiceNumber: 'INV-7781', total: '103.00', match: match('exception') },
  'invoice.disputed': {
    ...base('received'),
    disputeId: 'DSP-INV-7781-1',
    invoiceNumber: 'INV-7781',
    message: 'Agreed price is 10.00',
    respondBy: '2026-12-02T09:30:00.000Z',
    exception: { id: 'EXC-1', code: 'MATCH_EXCEPTION', reasons },
  },
  'dispute.answered': { ...base('received'), disputeId: 'DSP-INV-7781-1', invoiceNumber: 'INV-7781', message: 'Agreed, credit attached', by: 'supplier:ACME', creditMemo: memo },
  'dispute.overdue': { ...base('received'), disputeId: 'DSP-INV-7781-1', invoiceNumber: 'INV-7781', openedAt: at, sla: '5d' },
  'credit_memo.received': { ...base('received'), creditMemo: memo },
  'debit_note.settled': { ...base('received'), debitNoteNumber: 'DN-RMA-1', creditMemo: memo, bodyHash: 'c2eee66570205a12a0a53ffa663bf4acf2e690c6215dd843334aba64454d92d7' },
  'invoice.approved': { ...base('received'), invoiceNumber: 'INV-7781', action: 'approve', reason: 'Price increase agreed by phone', by: 'finance#3f2a', payment },
  'invoice.rejected': { ...base('received'), invoiceNumber: 'INV-7781', action: 'reject', reason: 'Wrong price', by: 'finance#3f2a' },
  'payment.scheduled': { ...base('received'), invoiceNumber: 'INV-7781', payment, paymentStatus: 'scheduled' },
  'invoice.payment_held': { ...base('received'), invoiceNumber: 'INV-7781', hold },
  'invoice.payment_released': {
    ...base('received'),
    invoiceNumber: 'INV-7781',
    releasedHold: hold,
    reason: 'release date 2026-12-15 reached',
    replanned: [{ invoiceNumber: 'INV-7781', amount: '100.00', discountLost: '2.00' }],
  },
  'supplier.payment_held': { ...base('received'), supplierId: 'ACME', hold: { holdId: 'SH-ACME-1', ...hold } },
  'supplier.payment_released': { ...base('received'), supplierId: 'ACME', releasedHold: { holdId: 'SH-ACME-1', ...hold }, replanned: [] },
  'payment.sent': { ...base('received'), invoiceNumber: 'INV-7781', paymentId: 'PAY-3f2a9c', paymentStatus: 'executed', amount: '98.00', discount: '2.00' },
  'payment.cleared': { ...base('received'), invoiceNumber: 'INV-7781', paymentId: 'PAY-3f2a9c', status: 'cleared', paymentStatus: 'cleared', reference: 'BANK-123' },
  'payment.failed': { ...base('received'), invoiceNumber: 'INV-7781', paymentId: 'PAY-3f2a9c', status: 'failed', paymentStatus: 'failed', reference: 'BANK-124' },
  'acknowledgement.reminder': base('issued'),
  'acknowledgement.overdue': { ...base('issued'), buyer: 'jane.buyer@distributor.example', issuedAt: at, sla: '48h' },
  'delivery.late': { ...base('partially_received'), buyer: 'jane.buyer@distributor.example', lineNos: [2] },
  'exception.overdue': { ...base('received'), exceptionId: 'EXC-1', invoiceNumber: 'INV-7781', code: 'MATCH_EXCEPTION', openedAt: at, sla: '72h' },
  'po.closed': base('closed'),
};
