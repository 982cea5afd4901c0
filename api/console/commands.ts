/**
 * The console's commands: the API's own (same schemas, same Updates, same Update ids), so a PO
 * cannot tell which door a command came through. Commands without a document number take the
 * idempotency key the form was rendered with, so a double click or a resubmitted form joins the
 * first Update instead of running twice (docs/console.md, "Same commands as the API").
 */
import type { ReadModelPort } from '../../activities/ports';
import { Acknowledgement, AdvanceShipNotice, ChangeDecision, DocumentNumber, Invoice, InvoiceResolution, PaymentStatusReport } from '../../workflows/domain/schemas';
import type { Actor, PoView } from '../../workflows/domain/state';
import { acknowledge, decideChanges, reportPaymentStatus, resolveInvoice, submitAsn } from '../../workflows/purchase-order/definitions';
import { ForbiddenError, NotFoundError } from '../errors';
import { documentUpdateId, submitInvoiceCommand } from '../routes/documents';
import { commandOf, invoiceUpdateName, keyedUpdateId } from '../routes/purchase-orders';
import type { PurchaseOrderGateway } from '../gateway';
import type { Role } from '../../workflows/domain/schemas';

function allow(actor: Actor, ...roles: Role[]): void {
  if (!roles.includes(actor.role as Role)) throw new ForbiddenError(`The ${actor.role} role may not do this; allowed: ${roles.join(', ')}.`);
}

function invoiceNumberOf(raw: string): string {
  const parsed = DocumentNumber.safeParse(raw);
  if (!parsed.success) throw new NotFoundError(`No invoice ${raw} on this purchase order.`, 'INVOICE_NOT_FOUND');
  return parsed.data;
}

export class ConsoleCommands {
  constructor(
    private readonly gateway: PurchaseOrderGateway,
    private readonly readModel: Pick<ReadModelPort, 'checkDuplicateInvoice'>,
  ) {}

  /** Finance approves or rejects an invoice in exception (POST …/invoices/:invoiceNumber/resolution). */
  resolveInvoice(actor: Actor, poNumber: string, rawInvoiceNumber: string, input: unknown, idempotencyKey: string): Promise<PoView> {
    allow(actor, 'finance');
    const invoiceNumber = invoiceNumberOf(rawInvoiceNumber);
    const command = commandOf(actor, InvoiceResolution, input);
    const updateId = keyedUpdateId(invoiceUpdateName(resolveInvoice.name, invoiceNumber), command.bodyHash, idempotencyKey);
    return this.gateway.execute(actor, poNumber, resolveInvoice, { ...command, invoiceNumber }, updateId);
  }

  /** Finance reports what the bank said about an executed payment (POST …/payment-status). */
  reportPaymentStatus(actor: Actor, poNumber: string, rawInvoiceNumber: string, input: unknown, idempotencyKey: string): Promise<PoView> {
    allow(actor, 'finance');
    const invoiceNumber = invoiceNumberOf(rawInvoiceNumber);
    const command = commandOf(actor, PaymentStatusReport, input);
    const updateId = keyedUpdateId(invoiceUpdateName(reportPaymentStatus.name, invoiceNumber), command.bodyHash, idempotencyKey);
    return this.gateway.execute(actor, poNumber, reportPaymentStatus, { ...command, invoiceNumber }, updateId);
  }

  /** The buyer decides on the supplier's proposed changes (POST …/change-decision). */
  decideChanges(actor: Actor, poNumber: string, input: unknown, idempotencyKey: string): Promise<PoView> {
    allow(actor, 'procurement');
    const command = commandOf(actor, ChangeDecision, input);
    return this.gateway.execute(actor, poNumber, decideChanges, command, keyedUpdateId(decideChanges.name, command.bodyHash, idempotencyKey));
  }

  /** The supplier accepts, rejects, or accepts with line changes (POST …/acknowledgement). */
  acknowledge(actor: Actor, poNumber: string, input: unknown, idempotencyKey: string): Promise<PoView> {
    allow(actor, 'supplier');
    const command = commandOf(actor, Acknowledgement, input);
    return this.gateway.execute(actor, poNumber, acknowledge, command, keyedUpdateId(acknowledge.name, command.bodyHash, idempotencyKey));
  }

  /** The supplier's advance ship notice (POST …/asns): idempotent on its number. */
  submitAsn(actor: Actor, poNumber: string, input: unknown): Promise<PoView> {
    allow(actor, 'supplier');
    const command = commandOf(actor, AdvanceShipNotice, input);
    return this.gateway.execute(actor, poNumber, submitAsn, command, documentUpdateId(submitAsn.name, command.body.asnNumber, command.bodyHash));
  }

  /** The supplier's invoice (POST …/invoices): idempotent on its number, unique per supplier. */
  submitInvoice(actor: Actor, poNumber: string, input: unknown): Promise<PoView> {
    allow(actor, 'supplier');
    return submitInvoiceCommand(this.gateway, this.readModel, poNumber, commandOf(actor, Invoice, input));
  }
}
