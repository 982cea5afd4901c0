/**
 * When and how much to pay an approved invoice (docs/domain.md, "Payment terms").
 *
 * Pure calendar arithmetic in UTC on the invoice's calendar date: a due date is a date on the
 * supplier's paper, not an instant, so no time zone of the machine running this may shift it.
 */
import { addDays, dateToUtcMs, endOfDateMs, instantToMs } from './calendar';
import { cmp, div, isPositive, mul, round2, roundCents, sub } from './money';
import type { PaymentTerms } from './schemas';
import type { InvoiceState, PaymentPlan } from './state';

/** Midnight UTC at the start of a calendar date, as an ISO instant. */
function startOfDay(date: string): string {
  return new Date(dateToUtcMs(date)).toISOString();
}

function laterInstant(a: string, b: string): string {
  return new Date(Math.max(instantToMs(a), instantToMs(b))).toISOString();
}

export interface PlanPaymentInput {
  invoice: Pick<InvoiceState, 'invoiceDate' | 'total' | 'creditedTotal'>;
  terms: PaymentTerms;
  captureDiscounts: boolean;
  /** When the invoice became payable (matched, or approved by finance): an ISO instant. */
  approvedAt: string;
}

/** What is owed on an invoice: its stated total net of credit memos, in cents, never negative. */
export function payableAmount(invoice: Pick<InvoiceState, 'total' | 'creditedTotal'>): string {
  const payable = sub(roundCents(invoice.total), roundCents(invoice.creditedTotal));
  return round2(isPositive(payable) ? payable : 0);
}

/** The early-payment discount on a payable amount: payable × percent / 100, half-even to cents. */
export function discountAmount(payable: string, discountPercent: string): string {
  return round2(div(mul(payable, discountPercent), 100));
}

export function planPayment({ invoice, terms, captureDiscounts, approvedAt }: PlanPaymentInput): PaymentPlan {
  const approvedAtIso = new Date(instantToMs(approvedAt)).toISOString();
  const dueDate = addDays(invoice.invoiceDate, terms.netDays);
  const payable = payableAmount(invoice);

  // "Net 0" is cash on approval: there is no window in which a discount could be earned.
  if (terms.netDays === 0) {
    return { dueDate, scheduledFor: approvedAtIso, amount: payable, discount: '0.00' };
  }

  const hasDiscount =
    terms.discountPercent !== undefined && terms.discountDays !== undefined && isPositive(terms.discountPercent);
  const discountDate = hasDiscount ? addDays(invoice.invoiceDate, terms.discountDays!) : undefined;
  // The discount is earned by paying on the discount date itself, so approval any time that day
  // (UTC) still captures it; the payment then runs at once.
  const approvedInsideWindow = discountDate !== undefined && isWithinDiscountWindow(discountDate, approvedAtIso);

  if (hasDiscount && captureDiscounts && approvedInsideWindow) {
    const discount = discountAmount(payable, terms.discountPercent!);
    return {
      dueDate,
      discountDate,
      scheduledFor: laterInstant(startOfDay(discountDate!), approvedAtIso),
      amount: round2(sub(payable, discount)),
      discount,
    };
  }

  return {
    dueDate,
    ...(discountDate !== undefined ? { discountDate } : {}),
    scheduledFor: laterInstant(startOfDay(dueDate), approvedAtIso),
    amount: payable,
    discount: '0.00',
  };
}

/**
 * A credit memo that arrives after a payment was scheduled (but before it ran) lowers what is
 * owed: the plan keeps its dates and whether a discount is taken, and recomputes the amounts.
 */
export function replanAmounts(
  plan: PaymentPlan,
  invoice: Pick<InvoiceState, 'total' | 'creditedTotal'>,
  terms: PaymentTerms,
): PaymentPlan {
  const payable = payableAmount(invoice);
  const discount =
    cmp(plan.discount, 0) > 0 && terms.discountPercent !== undefined ? discountAmount(payable, terms.discountPercent) : '0.00';
  return { ...plan, amount: round2(sub(payable, discount)), discount };
}

/** Is an instant on or before the end (UTC) of the discount date? */
export function isWithinDiscountWindow(discountDate: string, instant: string): boolean {
  return instantToMs(instant) < endOfDateMs(discountDate);
}
