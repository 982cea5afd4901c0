/** Examples shown in the OpenAPI document; a test checks each against its schema. */
import { apply, initialState } from '../../workflows/domain/lifecycle/apply';
import { view } from '../../workflows/domain/lifecycle/views';
import { DEFAULT_TOLERANCES } from '../../workflows/domain/policy';
import { CreatePurchaseOrder } from '../../workflows/domain/schemas';

export const exampleSupplierInput = {
  name: 'Acme Industrial Supply',
  currency: 'USD',
  paymentTerms: { netDays: 30, discountPercent: '2', discountDays: 10 },
  tolerances: { priceVariancePct: '0.02' },
  webhookUrl: 'https://portal.acme.example/p2p-webhooks',
};
export const exampleSupplier = {
  supplierId: 'ACME',
  ...exampleSupplierInput,
  slas: {},
  hasWebhookSecret: false,
  paymentHold: null,
  createdAt: '2026-11-27T09:00:00.000Z',
  updatedAt: '2026-11-27T09:00:00.000Z',
};
export const exampleCreatePurchaseOrder = {
  poNumber: 'PO-10001',
  supplierId: 'ACME',
  currency: 'USD',
  buyer: 'jane.buyer@distributor.example',
  lines: [{ lineNo: 1, sku: 'BOLT-M8', description: 'Hex bolt M8x40', quantity: '100', unitPrice: '0.45', requestedDate: '2026-12-10' }],
};
export const matchedExample = {
  status: 'matched',
  reasons: [],
  lines: [{ lineNo: 1, status: 'matched', reasons: [] }],
  matchedAt: '2026-12-11T10:00:00.000Z',
};
/** A PO issued and then acknowledged, as the domain itself folds it: the example is a real state. */
export const examplePurchaseOrder = view(
  apply(
    initialState({
      type: 'po.issued',
      at: '2026-11-27T09:30:00.000Z',
      actor: { role: 'procurement', id: 'procurement#3f2a9c' },
      po: CreatePurchaseOrder.parse(exampleCreatePurchaseOrder),
      requestHash: '5d41402abc4b2a76b9719d911017c592ae0f1b0c3e4f5a6b7c8d9e0f1a2b3c4d',
      policy: {
        paymentTerms: { netDays: 30, discountPercent: '2', discountDays: 10 },
        tolerances: { ...DEFAULT_TOLERANCES },
        slas: { ackSla: '48h', ackReminder: '24h', lateDeliveryGrace: '1d', exceptionSla: '72h' },
        captureDiscounts: true,
      },
    }),
    {
      type: 'po.acknowledged',
      at: '2026-11-27T11:00:00.000Z',
      actor: { role: 'supplier', id: 'supplier#a1b2c3', supplierId: 'ACME' },
      acknowledgement: { type: 'accept', lines: [{ lineNo: 1, status: 'accepted', promisedDate: '2026-12-09' }] },
    },
  ),
);
export const exampleInvoice = {
  invoiceNumber: 'INV-2026-0042',
  invoiceDate: '2026-12-11',
  currency: 'USD',
  lines: [{ lineNo: 1, quantity: '100', unitPrice: '0.45' }],
  freight: '5.00',
  tax: '0.00',
  total: '50.00',
};

export const exampleKpis = {
  generatedAt: '2026-11-27T12:00:00.000Z',
  acknowledgementCycleTime: { acknowledgedPurchaseOrders: 42, averageHours: 7.5, medianHours: 4.25 },
  invoiceMatching: { invoices: 40, decidedInvoices: 38, firstPassMatched: 33, firstPassMatchRate: 0.8684, invoicesWithException: 5, exceptionRate: 0.125 },
  openExceptionsByAge: { lessThan1Day: 1, from1To3Days: 1, from3To7Days: 0, moreThan7Days: 0, total: 2 },
  daysToPay: { paidInvoices: 30, averageDays: 12.4 },
  discountsCaptured: [{ currency: 'USD', amount: '1234.50', payments: 12 }],
  periodCloseReadiness: {
    grniOlderThanDays: 30,
    staleGrniLines: 3,
    staleGrniAmounts: [{ currency: 'USD', amount: '4120.00' }],
    unmatchedInvoices: 2,
    unpostedInvoices: 0,
    unpublishedEvents: 0,
    unsettledDebitNotes: 1,
    ready: false,
  },
  integrationFailureResolution: { resolved: 4, open: 1, averageMinutes: 18.5, maxMinutes: 42 },
  inventoryAccuracy: { countedLines: 120, accurateLines: 114, lineAccuracyRate: 0.95, quantityAccuracy: 0.9921 },
  paymentHolds: { heldInvoices: 3, suppliersOnHold: 1, heldAmounts: [{ currency: 'USD', amount: '980.00' }], pastDueWhileHeld: 1 },
  approvals: { pending: 2, escalated: 1 },
  disputes: { open: 1, escalated: 0 },
};
