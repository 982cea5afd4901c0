/**
 * Inbound EDI (docs/edi.md, "Inbound"): one interchange in, its 997 out. Every transaction set
 * becomes the command the API would send for it, through the same gateway and with the same
 * Update ids, so a document sent by EDI and by the API, or sent twice, is applied once.
 *
 * 1. The interchange is read and its envelopes checked; what makes it unreadable, or names another
 *    partner than the key (or than us), is refused whole with a problem+json and applies nothing.
 * 2. It is claimed in the interchange log by (partner, ISA13): the same interchange again answers
 *    the 997 it got the first time; the same ISA13 with another text is refused (409).
 * 3. Each set is checked (syntax), mapped (PO, lines) and applied on its own: a set that fails any
 *    step is rejected in the 997 (AK5 R, AK3/AK4) and changes nothing; the others still apply.
 * 4. The 997 (one per group, in one FA group) is written with our control numbers and stored.
 */
import type winston from 'winston';
import type { EdiInboundResult, EdiPartner, EdiPort, ReadModelPort } from '../../activities/ports';
import { acknowledgementFor, readAcknowledgement, type SetOutcome } from '../../activities/edi/x12/ack';
import { readInterchange, SetErrorCode, type FunctionalGroup, type Interchange, type TransactionSet } from '../../activities/edi/x12/envelope';
import { checkSetSyntax } from '../../activities/edi/x12/sets';
import { X12SyntaxError } from '../../activities/edi/x12/syntax';
import { setControlNumber, writeInterchange, type Party } from '../../activities/edi/x12/writer';
import { mapSet, MappingRefusal, orderNumberOf, type MappedCommand } from '../../activities/edi/mapping';
import type { EdiSetOutcome } from '../../workflows/domain/schemas';
import { normaliseDocumentNumber } from '../../workflows/domain/lookups';
import type { Actor } from '../../workflows/domain/state';
import { acknowledge, submitAsn, submitCreditMemo, submitInvoice } from '../../workflows/purchase-order/definitions';
import { hashBody, sha256Hex } from '../canonical';
import { ApiError, ConflictError, ForbiddenError, InputError, toApiError, UnprocessableError } from '../errors';
import type { PurchaseOrderGateway } from '../gateway';

/** Who sent the interchange: a supplier's API key, or a file in the inbox directory (partner from the ISA). */
export type InboundSource = { kind: 'api'; actor: Actor } | { kind: 'inbox'; file: string };

export interface InboundAnswer {
  interchangeId: string;
  status: EdiInboundResult['status'];
  /** The 997, raw X12. */
  acknowledgement: string;
  /** True when this interchange had been processed before and the stored 997 is answered again. */
  replayed: boolean;
}

export interface EdiInboundDeps {
  edi: EdiPort;
  gateway: PurchaseOrderGateway;
  readModel: Pick<ReadModelPort, 'checkDuplicateInvoice'>;
  sender: Party;
  logger: winston.Logger;
}

interface SetResult {
  outcome: SetOutcome;
  log: EdiSetOutcome;
  document?: EdiInboundResult['documents'][number];
}

export class EdiInbound {
  constructor(private readonly deps: EdiInboundDeps) {}

  async receive(raw: string, source: InboundSource): Promise<InboundAnswer> {
    const interchange = readOrRefuse(raw);
    const partner = await this.partnerOf(interchange, source);
    const actor: Actor = source.kind === 'api' ? source.actor : { role: 'supplier', id: `edi:${partner.supplierId}`, supplierId: partner.supplierId };

    const claim = await this.deps.edi.claimInbound({ supplierId: partner.supplierId, controlNumber: interchange.header.controlNumber, raw, rawHash: sha256Hex(raw) });
    if (claim.outcome === 'processed') {
      return { interchangeId: claim.interchange.id, status: claim.interchange.status as InboundAnswer['status'], acknowledgement: claim.interchange.acknowledgementRaw ?? '', replayed: true };
    }
    if (claim.outcome === 'control_number_reused') {
      throw new ConflictError(
        `Interchange control number ${interchange.header.controlNumber} was already used by another interchange of ${partner.supplierId} (${claim.interchange.id}); send a new ISA13.`,
        'EDI_DUPLICATE_CONTROL_NUMBER',
      );
    }
    if (claim.outcome === 'in_progress') {
      throw new ApiError(409, `Interchange ${interchange.header.controlNumber} is being processed; send it again shortly for its 997.`, 'EDI_INTERCHANGE_IN_PROGRESS', undefined, { 'Retry-After': '5' });
    }

    try {
      const results: SetResult[][] = [];
      for (const group of interchange.groups) results.push(await this.applyGroup(group, partner, actor, claim.id, interchange.header.usage === 'T'));
      const acknowledgement = await this.acknowledgement(interchange, partner, results);
      const all = results.flat();
      const accepted = all.filter((result) => result.outcome.accepted).length;
      const groupErrors = interchange.groups.some((group) => group.errors.length > 0);
      const status = accepted === all.length && !groupErrors ? 'accepted' : accepted === 0 ? 'rejected' : 'partially_accepted';
      await this.deps.edi.completeInbound(claim.id, {
        status,
        groupControlNumbers: interchange.groups.map((group) => group.controlNumber),
        setIds: [...new Set(interchange.groups.flatMap((group) => group.sets.map((set) => set.id)))],
        poNumbers: all.flatMap((result) => (result.log.poNumber ? [result.log.poNumber] : [])),
        sets: all.map((result) => result.log),
        acknowledgementRaw: acknowledgement,
        documents: all.flatMap((result) => (result.document ? [result.document] : [])),
      });
      this.deps.logger.info('EDI interchange received', { interchangeId: claim.id, supplierId: partner.supplierId, controlNumber: interchange.header.controlNumber, status, source: source.kind });
      return { interchangeId: claim.id, status, acknowledgement, replayed: false };
    } catch (error) {
      // Not the partner's fault (Temporal or the database unavailable): forget the claim so the
      // partner's retry runs again; every command sent so far is idempotent.
      await this.deps.edi.releaseInbound(claim.id).catch(() => undefined);
      throw error;
    }
  }

  private async partnerOf(interchange: Interchange, source: InboundSource): Promise<EdiPartner> {
    const { header } = interchange;
    let partner: EdiPartner | undefined;
    if (source.kind === 'api') {
      if (!source.actor.supplierId) throw new ForbiddenError('Only a supplier key sends EDI interchanges.');
      partner = await this.deps.edi.partnerOf(source.actor.supplierId);
      if (!partner) throw new UnprocessableError(`Supplier ${source.actor.supplierId} has no EDI profile; procurement sets it with PUT /v1/suppliers/${source.actor.supplierId}.`, 'EDI_NOT_A_PARTNER');
      if (partner.profile.qualifier !== header.senderQualifier || partner.profile.id !== header.senderId) {
        throw new ApiError(403, `ISA05/ISA06 ${header.senderQualifier}/${header.senderId} is not the EDI identity of the supplier this key belongs to.`, 'EDI_PARTNER_MISMATCH');
      }
    } else {
      partner = await this.deps.edi.partnerByIdentity(header.senderQualifier, header.senderId);
      if (!partner) throw new UnprocessableError(`No supplier trades by EDI as ${header.senderQualifier}/${header.senderId} (ISA05/ISA06).`, 'EDI_UNKNOWN_PARTNER');
    }
    const us = this.deps.sender;
    if (header.receiverQualifier !== us.qualifier || header.receiverId !== us.id) {
      throw new UnprocessableError(`ISA07/ISA08 ${header.receiverQualifier}/${header.receiverId} is not us (${us.qualifier}/${us.id}).`, 'EDI_NOT_FOR_US');
    }
    const partnerGs = partner.profile.gsId ?? partner.profile.id;
    for (const group of interchange.groups) {
      if (group.senderId !== partnerGs || group.receiverId !== (us.gsId ?? us.id)) {
        throw new UnprocessableError(
          `Functional group ${group.controlNumber} is from ${group.senderId} to ${group.receiverId}; expected GS02 ${partnerGs} and GS03 ${us.gsId ?? us.id}.`,
          'EDI_GROUP_PARTNER_MISMATCH',
        );
      }
    }
    return partner;
  }

  private async applyGroup(group: FunctionalGroup, partner: EdiPartner, actor: Actor, interchangeId: string, test: boolean): Promise<SetResult[]> {
    const results: SetResult[] = [];
    for (const set of group.sets) {
      checkSetSyntax(set, group.functionalId);
      const base = { setId: set.id, controlNumber: set.controlNumber };
      if (set.errors.length > 0 || group.errors.length > 0) {
        const codes = set.errors.length > 0 ? set.errors : [SetErrorCode.segmentsInError];
        results.push({ outcome: { accepted: false, codes, segmentErrors: set.segmentErrors }, log: { ...base, status: 'rejected', codes, segmentErrors: set.segmentErrors } });
        continue;
      }
      results.push(await this.applySet(set, partner, actor, interchangeId, test));
    }
    return results;
  }

  /** `test`: a test interchange (ISA15 T) is checked and mapped against the PO, and applied nowhere. */
  private async applySet(set: TransactionSet, partner: EdiPartner, actor: Actor, interchangeId: string, test: boolean): Promise<SetResult> {
    const base = { setId: set.id, controlNumber: set.controlNumber };
    const accepted = (log: Partial<EdiSetOutcome>, document?: SetResult['document']): SetResult => ({
      outcome: { accepted: true, codes: [], segmentErrors: [] },
      log: { ...base, status: 'accepted', codes: [], segmentErrors: [], ...log },
      ...(document ? { document } : {}),
    });
    const refused = (code: string, message: string, poNumber: string | undefined, refusal?: MappingRefusal): SetResult => {
      const segmentErrors = refusal?.segmentError ? [refusal.segmentError] : [];
      const codes = [SetErrorCode.segmentsInError];
      return {
        outcome: { accepted: false, codes, segmentErrors },
        log: { ...base, status: 'rejected', codes, segmentErrors, refusal: { code, message }, ...(poNumber ? { poNumber } : {}) },
      };
    };

    if (set.id === '997') {
      if (test) return accepted({ test: true });
      const received = readAcknowledgement(set);
      const recorded = await this.deps.edi.recordReceivedAcknowledgement(partner.supplierId, received.functionalId, received.groupControlNumber, {
        status: received.status,
        receivedAt: new Date().toISOString(),
        interchangeId,
        groupCodes: received.groupCodes,
        sets: received.sets,
      });
      if (!recorded) return refused('EDI_UNKNOWN_GROUP', `No ${received.functionalId} group ${received.groupControlNumber} of ours to ${partner.supplierId} to acknowledge.`, undefined);
      return accepted({ documentKey: `${received.functionalId}/${received.groupControlNumber}`, ...(recorded.poNumbers[0] ? { poNumber: recorded.poNumbers[0] } : {}) });
    }

    let poNumber: string | undefined;
    try {
      poNumber = orderNumberOf(set);
      if (!poNumber) throw new MappingRefusal('EDI_NO_PO_NUMBER', `The ${set.id} names no purchase order.`);
      const po = await this.deps.gateway.viewFor(actor, poNumber);
      const command = mapSet(set, po);
      const bodyHash = hashBody(command.body);
      if (test) return accepted({ documentKey: command.documentKey, poNumber, test: true });
      const document = { setId: set.id, documentKey: command.documentKey, bodyHash, poNumber };
      const before = await this.deps.edi.appliedDocument(partner.supplierId, set.id, command.documentKey);
      if (before && before.bodyHash === bodyHash && before.poNumber === poNumber) {
        return accepted({ documentKey: command.documentKey, poNumber, duplicate: true });
      }
      await this.execute(actor, poNumber, command, bodyHash, partner.supplierId);
      return accepted({ documentKey: command.documentKey, poNumber }, document);
    } catch (error) {
      if (error instanceof MappingRefusal) return refused(error.code, error.message, poNumber, error);
      const refusal = toApiError(error);
      // A refusal of the document (4xx) rejects the set; an outage (5xx) is nobody's verdict: it fails the interchange, to be sent again.
      if (refusal.status >= 500) throw error;
      return refused(refusal.code ?? 'COMMAND_REJECTED', refusal.message, poNumber);
    }
  }

  /** The API's own command, with the Update id the API would use for the same document. */
  private async execute(actor: Actor, poNumber: string, command: MappedCommand, bodyHash: string, supplierId: string): Promise<void> {
    const { gateway } = this.deps;
    switch (command.kind) {
      case 'acknowledge':
        await gateway.execute(actor, poNumber, acknowledge, { actor, body: command.body, bodyHash }, `acknowledge:${bodyHash}:edi-855:${command.documentKey}`);
        return;
      case 'asn':
        await gateway.execute(actor, poNumber, submitAsn, { actor, body: command.body, bodyHash }, `submitAsn:${command.body.asnNumber}:${bodyHash}`);
        return;
      case 'creditMemo':
        await gateway.execute(actor, poNumber, submitCreditMemo, { actor, body: command.body, bodyHash }, `submitCreditMemo:${command.body.creditMemoNumber}:${bodyHash}`);
        return;
      case 'invoice': {
        const duplicate = await this.deps.readModel.checkDuplicateInvoice(supplierId, command.body.invoiceNumber, bodyHash);
        if (duplicate.kind === 'conflict' || (duplicate.kind === 'same' && duplicate.poNumber !== poNumber)) {
          throw new ConflictError(`Invoice ${command.body.invoiceNumber} of supplier ${supplierId} was already submitted${duplicate.kind === 'conflict' ? ' with a different body' : ` against purchase order ${duplicate.poNumber}`}.`, 'DUPLICATE_INVOICE');
        }
        await gateway.execute(actor, poNumber, submitInvoice, { actor, body: command.body, bodyHash }, `submitInvoice:${normaliseDocumentNumber(command.body.invoiceNumber)}:${bodyHash}`, { ownershipChecked: true });
        return;
      }
    }
  }

  /** One 997 per functional group received, in one FA group of one interchange from us. */
  private async acknowledgement(interchange: Interchange, partner: EdiPartner, results: SetResult[][]): Promise<string> {
    const numbers = await this.deps.edi.nextControlNumbers(partner.supplierId, interchange.groups.length);
    return writeInterchange({
      sender: this.deps.sender,
      receiver: { qualifier: partner.profile.qualifier, id: partner.profile.id, ...(partner.profile.gsId ? { gsId: partner.profile.gsId } : {}) },
      functionalId: 'FA',
      interchangeControlNumber: numbers.interchange,
      groupControlNumber: numbers.group,
      at: new Date(),
      usage: interchange.header.usage === 'T' ? 'T' : 'P',
      sets: interchange.groups.map((group, index) => ({
        id: '997',
        controlNumber: setControlNumber(numbers.sets[index]!),
        segments: acknowledgementFor(group, results[index]!.map((result) => result.outcome)),
      })),
    });
  }
}

/** Unreadable X12 is the caller's error: a 400 naming what is wrong. */
function readOrRefuse(raw: string): Interchange {
  try {
    return readInterchange(raw);
  } catch (error) {
    if (error instanceof X12SyntaxError) throw new InputError(`The interchange cannot be read: ${error.message}`, undefined, error.code);
    throw error;
  }
}
