/**
 * The wire contract of P2P Orchestrator (SPEC §7), shared by the HTTP API, the workflow's Update
 * validators and the OpenAPI document. A body the API accepts is a body the workflow accepts.
 *
 * Pure: zod only. No I/O, no Node built-ins, no @temporalio imports (this file is bundled into
 * the workflow sandbox).
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Scalars
// ---------------------------------------------------------------------------------------------

const DECIMAL_PATTERN = /^\d{1,14}(\.\d{1,4})?$/;

/** A non-negative amount of money as a decimal string, at most 4 decimals: "12.5000". */
export const Money = z
  .string()
  .regex(DECIMAL_PATTERN, 'must be a decimal string with at most 14 integer digits and 4 decimals, e.g. "12.50"')
  .meta({ description: 'Amount as a decimal string (never a JSON number).', example: '12.50' });

/**
 * A quantity: a decimal string or a JSON number (integers are common on the wire), normalised to
 * a decimal string so arithmetic downstream stays exact.
 */
export const Quantity = z
  .union([
    z.string().regex(DECIMAL_PATTERN, 'must be a decimal with at most 4 decimals'),
    z
      .number()
      .nonnegative()
      .refine((n) => Number.isFinite(n) && DECIMAL_PATTERN.test(String(n)), 'must have at most 4 decimals'),
  ])
  .transform((q) => String(q))
  .meta({ description: 'Quantity as a decimal string or number (max 4 decimals).', example: '10' });

/** A strictly positive quantity. */
export const PositiveQuantity = Quantity.refine((q) => /[1-9]/.test(q), 'must be greater than 0');

/** A percentage or ratio as a decimal string, e.g. "0.02" for 2 %. */
export const Ratio = z
  .string()
  .regex(/^\d{1,3}(\.\d{1,6})?$/, 'must be a decimal string like "0.02"')
  .meta({ description: 'Ratio as a decimal string ("0.02" = 2 %).', example: '0.02' });

/** A percent as a decimal string, e.g. "2" for 2 % (payment-terms discount). */
export const Percent = z
  .string()
  .regex(/^\d{1,2}(\.\d{1,4})?$/, 'must be a percent as a decimal string like "2" or "1.5"')
  .meta({ description: 'Percent as a decimal string ("2" = 2 %).', example: '2' });

export const CurrencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "USD"')
  .meta({ description: 'ISO 4217 currency code.', example: 'USD' });

/**
 * A calendar date. A regex and a calendar check rather than `z.iso.date()`, which fails inside
 * the Temporal workflow sandbox.
 */
export const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine(isCalendarDate, 'must be a real calendar date')
  .meta({ description: 'Calendar date, YYYY-MM-DD.', example: '2026-12-01', format: 'date' });

function isCalendarDate(date: string): boolean {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const parsed = new Date(Date.UTC(year, month - 1, day));
  return parsed.getUTCFullYear() === year && parsed.getUTCMonth() === month - 1 && parsed.getUTCDate() === day;
}
export const IsoDateTime = z.iso
  .datetime({ offset: true })
  .meta({ description: 'Instant, ISO 8601 with offset.', example: '2026-12-01T09:30:00Z' });

/** Business document numbers: what suppliers, WMSs and buyers type. */
export const DocumentNumber = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._\/-]*$/, 'letters, digits, space, and . _ / - only');

export const PoNumber = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, and . _ - only')
  .meta({ description: 'Purchase order number, unique per tenant.', example: 'PO-10001' });

export const SupplierId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, and . _ - only')
  .meta({ description: 'Supplier identifier.', example: 'ACME' });

export const LineNo = z.number().int().positive().max(99999).meta({ example: 1 });

const DURATION_PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/;
const DURATION_UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** A duration such as "48h", "2d", "30m": the one grammar config, supplier SLAs and timers share. */
export const DurationString = z
  .string()
  .regex(DURATION_PATTERN, 'must be a duration like "48h", "2d" or "30m"')
  .refine((d) => DURATION_PATTERN.test(d) && durationToMs(d) > 0, 'must be longer than 0');

export function durationToMs(duration: string): number {
  const match = DURATION_PATTERN.exec(duration);
  if (!match) throw new Error(`"${duration}" is not a duration like "48h", "2d" or "30m"`);
  return Math.round(Number(match[1]) * DURATION_UNIT_MS[match[2] as keyof typeof DURATION_UNIT_MS]);
}

const FreeText = z.string().trim().min(1).max(2000);

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
  })
  .strict()
  .meta({ id: 'SupplierInput' });
export type SupplierInput = z.infer<typeof SupplierInput>;

export interface Supplier {
  supplierId: string;
  name: string;
  currency: string;
  paymentTerms: PaymentTerms;
  tolerances: Tolerances;
  slas: SupplierSlas;
  webhookUrl: string | null;
  /** The secret itself is never returned; only whether one is set. */
  hasWebhookSecret: boolean;
  createdAt: string;
  updatedAt: string;
}

// ---------------------------------------------------------------------------------------------
// Purchase orders
// ---------------------------------------------------------------------------------------------

export const LineKind = z.enum(['goods', 'service']);
export type LineKind = z.infer<typeof LineKind>;

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

function uniqueLineNos(lines: { lineNo: number }[]): boolean {
  return new Set(lines.map((l) => l.lineNo)).size === lines.length;
}

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
    status: z.enum(['accepted', 'changed', 'rejected', 'backordered']),
    quantity: Quantity.optional(),
    unitPrice: Money.optional(),
    promisedDate: IsoDate.optional(),
  })
  .strict();
export type AcknowledgementLine = z.infer<typeof AcknowledgementLine>;

export const Acknowledgement = z
  .object({
    type: z.enum(['accept', 'reject', 'accept_with_changes']),
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
  .object({ decision: z.enum(['approve', 'reject']), reason: FreeText.optional() })
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
    action: z.enum(['add', 'change', 'cancel']).default('change'),
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
  .object({ lineNo: LineNo, quantityReceived: Quantity, quantityRejected: Quantity.default('0') })
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
  .object({ action: z.enum(['approve', 'reject']), reason: FreeText })
  .strict()
  .meta({ id: 'InvoiceResolution' });
export type InvoiceResolution = z.infer<typeof InvoiceResolution>;

export const PaymentStatusReport = z
  .object({ status: z.enum(['sent', 'cleared', 'failed']), reference: z.string().trim().max(200).optional() })
  .strict()
  .meta({ id: 'PaymentStatusReport' });
export type PaymentStatusReport = z.infer<typeof PaymentStatusReport>;

/** Normalised invoice number for duplicate detection: case, spaces and separators ignored. */
export function normaliseDocumentNumber(documentNumber: string): string {
  return documentNumber.toUpperCase().replace(/[\s._\/-]+/g, '');
}
