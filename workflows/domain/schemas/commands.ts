/**
 * The commands of the wire contract: what procurement, suppliers, the warehouse and finance send.
 * The HTTP API parses every body with these schemas, and the OpenAPI document is generated from
 * them. Rules that need the PO's state (open quantities, duplicates) live in
 * `workflows/domain/lifecycle/validate.ts`, not here.
 */
import { z } from 'zod';
import { EdiProfile } from './edi';
import { hasUniqueLineNos as uniqueLineNos } from '../lookups';
import {
  AcknowledgementLineStatus,
  AcknowledgementType,
  ChangeAction,
  Decision,
  LineKind,
  ReportedPaymentStatus,
} from './enums';
import {
  CurrencyCode,
  DocumentNumber,
  DurationString,
  FreeText,
  IsoDate,
  IsoDateTime,
  LineNo,
  Money,
  Percent,
  PoNumber,
  PositiveQuantity,
  Quantity,
  Ratio,
  SupplierId,
} from './scalars';

// ---------------------------------------------------------------------------------------------
// Suppliers
// ---------------------------------------------------------------------------------------------

export const PaymentTerms = z
  .object({
    netDays: z.number().int().min(0).max(365),
    discountPercent: Percent.optional(),
    discountDays: z.number().int().min(0).max(365).optional(),
  })
  .refine((t) => (t.discountPercent === undefined) === (t.discountDays === undefined), {
    message: 'discountPercent and discountDays go together',
    path: ['discountDays'],
  })
  .refine((t) => t.discountDays === undefined || t.discountDays <= t.netDays, {
    message: 'discountDays cannot exceed netDays',
    path: ['discountDays'],
  })
  .meta({ id: 'PaymentTerms', description: '2/10 net 30 = {netDays: 30, discountPercent: "2", discountDays: 10}' });
export type PaymentTerms = z.infer<typeof PaymentTerms>;

export const Tolerances = z
  .object({
    qtyOverPct: Ratio.optional(),
    priceVariancePct: Ratio.optional(),
    priceVarianceAbs: Money.optional(),
    totalVarianceAbs: Money.optional(),
  })
  .meta({ id: 'Tolerances' });
export type Tolerances = z.infer<typeof Tolerances>;
/** Every tolerance resolved (supplier override, else system default). */
export type ToleranceProfile = Required<Tolerances>;

export const SupplierSlas = z
  .object({
    ackSla: DurationString.optional(),
    ackReminder: DurationString.optional(),
    lateDeliveryGrace: DurationString.optional(),
    exceptionSla: DurationString.optional(),
  })
  .meta({ id: 'SupplierSlas', description: 'Per-supplier overrides of the timer defaults.' });
export type SupplierSlas = z.infer<typeof SupplierSlas>;
export type SlaProfile = Required<SupplierSlas>;

export const SupplierInput = z
  .object({
    name: z.string().trim().min(1).max(200),
    currency: CurrencyCode,
    paymentTerms: PaymentTerms.optional(),
    tolerances: Tolerances.optional(),
    slas: SupplierSlas.optional(),
    webhookUrl: z.url({ protocol: /^https?$/ }).optional(),
    webhookSecret: z.string().min(16).max(256).optional(),
    /** The supplier as an EDI X12 trading partner (docs/edi.md). */
    edi: EdiProfile.optional(),
  })
  .strict()
  .meta({ id: 'SupplierInput' });
export type SupplierInput = z.infer<typeof SupplierInput>;

// ---------------------------------------------------------------------------------------------
// Purchase orders
// ---------------------------------------------------------------------------------------------

export const PurchaseOrderLineInput = z
  .object({
    lineNo: LineNo,
    sku: z.string().trim().min(1).max(64),
    description: z.string().max(500).optional(),
    kind: LineKind.default('goods'),
    quantity: PositiveQuantity,
    uom: z.string().trim().min(1).max(16).default('EA'),
    unitPrice: Money,
    requestedDate: IsoDate.optional(),
  })
  .strict();
export type PurchaseOrderLineInput = z.infer<typeof PurchaseOrderLineInput>;

export const CreatePurchaseOrder = z
  .object({
    poNumber: PoNumber,
    supplierId: SupplierId,
    currency: CurrencyCode,
    buyer: z.string().trim().min(1).max(200).optional(),
    paymentTerms: PaymentTerms.optional(),
    lines: z.array(PurchaseOrderLineInput).min(1).max(500).refine(uniqueLineNos, 'lineNo must be unique'),
  })
  .strict()
  .meta({ id: 'CreatePurchaseOrder' });
export type CreatePurchaseOrder = z.infer<typeof CreatePurchaseOrder>;

export const AcknowledgementLine = z
  .object({
    lineNo: LineNo,
    status: AcknowledgementLineStatus,
    quantity: Quantity.optional(),
    unitPrice: Money.optional(),
    promisedDate: IsoDate.optional(),
  })
  .strict();
export type AcknowledgementLine = z.infer<typeof AcknowledgementLine>;

export const Acknowledgement = z
  .object({
    type: AcknowledgementType,
    reason: FreeText.optional(),
    lines: z.array(AcknowledgementLine).max(500).refine(uniqueLineNos, 'lineNo must be unique').optional(),
  })
  .strict()
  .refine((a) => a.type !== 'accept_with_changes' || (a.lines ?? []).some((l) => l.status !== 'accepted'), {
    message: 'accept_with_changes needs at least one line that is changed, rejected or backordered',
    path: ['lines'],
  })
  .refine((a) => a.type !== 'reject' || a.reason !== undefined, { message: 'a rejection needs a reason', path: ['reason'] })
  .meta({ id: 'Acknowledgement' });
export type Acknowledgement = z.infer<typeof Acknowledgement>;

export const ChangeDecision = z
  .object({ decision: Decision, reason: FreeText.optional() })
  .strict()
  .meta({ id: 'ChangeDecision' });
export type ChangeDecision = z.infer<typeof ChangeDecision>;

/**
 * A buyer change order. A line number that exists changes (quantity, unitPrice, requestedDate)
 * or, with `action: "cancel"`, cancels that line; a new line number adds a line (sku, quantity,
 * unitPrice required).
 */
export const ChangeOrderLine = z
  .object({
    lineNo: LineNo,
    action: ChangeAction.default('change'),
    sku: z.string().trim().min(1).max(64).optional(),
    description: z.string().max(500).optional(),
    kind: LineKind.optional(),
    quantity: PositiveQuantity.optional(),
    uom: z.string().trim().min(1).max(16).optional(),
    unitPrice: Money.optional(),
    requestedDate: IsoDate.optional(),
  })
  .strict()
  .refine((l) => l.action !== 'add' || (l.sku !== undefined && l.quantity !== undefined && l.unitPrice !== undefined), {
    message: 'an added line needs sku, quantity and unitPrice',
  })
  .refine(
    (l) => l.action !== 'change' || l.quantity !== undefined || l.unitPrice !== undefined || l.requestedDate !== undefined,
    { message: 'a changed line needs quantity, unitPrice or requestedDate' },
  );
export type ChangeOrderLine = z.infer<typeof ChangeOrderLine>;

export const ChangeOrder = z
  .object({
    lines: z.array(ChangeOrderLine).min(1).max(500).refine(uniqueLineNos, 'lineNo must be unique'),
    reason: FreeText.optional(),
  })
  .strict()
  .meta({ id: 'ChangeOrder' });
export type ChangeOrder = z.infer<typeof ChangeOrder>;

export const CancelPurchaseOrder = z.object({ reason: FreeText }).strict().meta({ id: 'CancelPurchaseOrder' });
export type CancelPurchaseOrder = z.infer<typeof CancelPurchaseOrder>;

// ---------------------------------------------------------------------------------------------
// Shipping and receiving
// ---------------------------------------------------------------------------------------------

export const AdvanceShipNotice = z
  .object({
    asnNumber: DocumentNumber,
    shipDate: IsoDate,
    expectedDeliveryDate: IsoDate.optional(),
    carrier: z.string().trim().max(100).optional(),
    trackingNumber: z.string().trim().max(100).optional(),
    lines: z
      .array(z.object({ lineNo: LineNo, quantity: PositiveQuantity }).strict())
      .min(1)
      .max(500)
      .refine(uniqueLineNos, 'lineNo must be unique'),
  })
  .strict()
  .meta({ id: 'AdvanceShipNotice' });
export type AdvanceShipNotice = z.infer<typeof AdvanceShipNotice>;

export const GoodsReceiptLine = z
  .object({
    lineNo: LineNo,
    quantityReceived: Quantity,
    quantityRejected: Quantity.default('0'),
    /** What the shipping documents said was there (for the inventory-accuracy KPI). */
    expectedQuantity: Quantity.optional(),
    /** What the warehouse counted, when it counted (for the inventory-accuracy KPI). */
    countedQuantity: Quantity.optional(),
  })
  .strict()
  .refine((l) => /[1-9]/.test(l.quantityReceived) || /[1-9]/.test(l.quantityRejected), {
    message: 'a receipt line needs a received or rejected quantity above 0',
  });
export type GoodsReceiptLine = z.infer<typeof GoodsReceiptLine>;

export const GoodsReceipt = z
  .object({
    receiptNumber: DocumentNumber,
    receivedAt: IsoDateTime.optional(),
    location: z.string().trim().min(1).max(64).default('MAIN'),
    lines: z.array(GoodsReceiptLine).min(1).max(500).refine(uniqueLineNos, 'lineNo must be unique'),
  })
  .strict()
  .meta({ id: 'GoodsReceipt' });
export type GoodsReceipt = z.infer<typeof GoodsReceipt>;

// ---------------------------------------------------------------------------------------------
// Invoicing and payment
// ---------------------------------------------------------------------------------------------

export const DocumentLine = z.object({ lineNo: LineNo, quantity: PositiveQuantity, unitPrice: Money }).strict();
export type DocumentLine = z.infer<typeof DocumentLine>;

export const Invoice = z
  .object({
    invoiceNumber: DocumentNumber,
    invoiceDate: IsoDate,
    currency: CurrencyCode,
    lines: z.array(DocumentLine).min(1).max(500).refine(uniqueLineNos, 'lineNo must be unique'),
    freight: Money.default('0'),
    tax: Money.default('0'),
    total: Money,
  })
  .strict()
  .meta({ id: 'Invoice' });
export type Invoice = z.infer<typeof Invoice>;

export const CreditMemo = z
  .object({
    creditMemoNumber: DocumentNumber,
    invoiceNumber: DocumentNumber,
    lines: z.array(DocumentLine).min(1).max(500).refine(uniqueLineNos, 'lineNo must be unique'),
    total: Money,
  })
  .strict()
  .meta({ id: 'CreditMemo' });
export type CreditMemo = z.infer<typeof CreditMemo>;

export const InvoiceResolution = z
  .object({ action: Decision, reason: FreeText })
  .strict()
  .meta({ id: 'InvoiceResolution' });
export type InvoiceResolution = z.infer<typeof InvoiceResolution>;

export const PaymentStatusReport = z
  .object({ status: ReportedPaymentStatus, reference: z.string().trim().max(200).optional() })
  .strict()
  .meta({ id: 'PaymentStatusReport' });
export type PaymentStatusReport = z.infer<typeof PaymentStatusReport>;
