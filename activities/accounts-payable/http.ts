/**
 * Accounts payable in an external AP tool over HTTP: `POST {url}/invoices` and
 * `POST {url}/payments` with an `Idempotency-Key` header (the IETF httpapi draft), so the tool
 * itself guarantees that a retried call books nothing twice.
 *
 * Answers: 2xx with `{apReference}` / `{paymentId}`. 4xx means the tool refused the request and a
 * retry would be refused again → non-retryable failure. 408, 409 (the same key still in flight)
 * and 429 ask to come back later; they, 5xx and network errors are thrown for Temporal to retry.
 */
import type { AccountsPayablePort, PaymentExecution } from '../ports';
import { normaliseDocumentNumber } from '../../workflows/domain/lookups';
import { AccountsPayableRejectedError } from '../errors';
import type { InvoiceState } from '../../workflows/domain/state';

export interface HttpAccountsPayableOptions {
  url: string;
  token?: string;
  /** Per request; default 30 s. */
  timeoutMs?: number;
}

const RETRY_LATER = new Set([408, 409, 429]);

export class HttpAccountsPayable implements AccountsPayablePort {
  private readonly baseUrl: string;

  constructor(private readonly options: HttpAccountsPayableOptions) {
    this.baseUrl = options.url.replace(/\/+$/, '');
  }

  async submitApprovedInvoice(invoice: InvoiceState & { poNumber: string; supplierId: string }): Promise<{ apReference: string }> {
    const answer = await this.post('/invoices', `invoice/${invoice.supplierId}/${normaliseDocumentNumber(invoice.invoiceNumber)}`, {
      poNumber: invoice.poNumber,
      supplierId: invoice.supplierId,
      invoiceNumber: invoice.invoiceNumber,
      invoiceDate: invoice.invoiceDate,
      currency: invoice.currency,
      lines: invoice.lines,
      freight: invoice.freight,
      tax: invoice.tax,
      total: invoice.total,
      creditedTotal: invoice.creditedTotal,
      approvedAt: invoice.resolution?.at ?? invoice.match.matchedAt,
    });
    return { apReference: requireString(answer, 'apReference', '/invoices') };
  }

  async executePayment(payment: PaymentExecution): Promise<{ paymentId: string }> {
    const answer = await this.post('/payments', payment.idempotencyKey, payment);
    return { paymentId: requireString(answer, 'paymentId', '/payments') };
  }

  private async post(path: string, idempotencyKey: string, body: unknown): Promise<unknown> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      'idempotency-key': idempotencyKey,
    };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    const url = `${this.baseUrl}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      throw new Error(`AP tool not reachable at ${url}: ${(error as Error).message}`);
    }
    const text = await response.text().catch(() => '');
    if (response.ok) {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new Error(`AP tool answered ${url} with a body that is not JSON`);
      }
    }
    const message = `AP tool answered ${response.status} to POST ${url}${text ? `: ${text.slice(0, 500)}` : ''}`;
    if (response.status >= 400 && response.status < 500 && !RETRY_LATER.has(response.status)) {
      throw new AccountsPayableRejectedError(message, response.status);
    }
    throw new Error(message);
  }
}

function requireString(answer: unknown, field: string, path: string): string {
  const value = typeof answer === 'object' && answer !== null ? (answer as Record<string, unknown>)[field] : undefined;
  // Retryable: the call is idempotent, and a proxy error page may stand in for the tool's answer.
  if (typeof value !== 'string' || value === '') throw new Error(`AP tool answer to ${path} has no "${field}"`);
  return value;
}
