/**
 * EDI X12 (docs/edi.md): a supplier's trading-partner profile and the interchange log as the API
 * answers it. One definition of each list (directions, statuses) for routes, storage and OpenAPI.
 */
import { z } from 'zod';

/** ISA05/ISA07 interchange id qualifiers (01 DUNS, 08 UCC, 12 phone, 14 DUNS+4, ZZ mutually defined, ...). */
export const EdiQualifier = z.string().regex(/^[A-Z0-9]{2}$/, 'a two-character ISA qualifier such as ZZ, 01 or 12');
/** ISA06/ISA08: up to 15 characters; GS02/GS03: up to 15 (004010). */
export const EdiIdentifier = z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9 .\-_]{0,13}[A-Za-z0-9.\-_])?$/, '1 to 15 letters, digits, space, ".", "-" or "_", not ending in a space');

export const EdiProfile = z
  .object({
    qualifier: EdiQualifier,
    id: EdiIdentifier,
    /** GS02/GS03 application code; defaults to `id`. */
    gsId: EdiIdentifier.optional(),
    version: z.literal('004010').default('004010'),
    /** Where outbound documents are POSTed (application/edi-x12); without it they wait for pickup. */
    delivery: z.object({ url: z.url({ protocol: /^https?$/ }).optional() }).strict().default({}),
  })
  .strict()
  .meta({ id: 'EdiProfile', description: 'The supplier as an X12 trading partner (ISA05/06 or ISA07/08, GS02/03).' });
export type EdiProfile = z.infer<typeof EdiProfile>;

export const EdiDirection = z.enum(['inbound', 'outbound']);
export type EdiDirection = z.infer<typeof EdiDirection>;

/**
 * Inbound: processing (being applied), accepted (every set applied), partially_accepted, rejected. Outbound: pending (waiting
 * for delivery or pickup), delivered, failed (delivery given up; still listed for pickup).
 */
export const EdiInterchangeStatus = z.enum(['processing', 'accepted', 'partially_accepted', 'rejected', 'pending', 'delivered', 'failed']);
export type EdiInterchangeStatus = z.infer<typeof EdiInterchangeStatus>;

export const EdiSetOutcome = z
  .object({
    setId: z.string(),
    controlNumber: z.string(),
    status: z.enum(['accepted', 'rejected']),
    /** The business document it carried: PO, ASN or invoice number. */
    documentKey: z.string().optional(),
    poNumber: z.string().optional(),
    /** AK5 codes when rejected in the 997. */
    codes: z.array(z.string()),
    /** Syntax errors reported as AK3/AK4. */
    segmentErrors: z.array(
      z.object({ segmentId: z.string(), position: z.number().int(), code: z.string(), elements: z.array(z.object({ position: z.number().int(), code: z.string(), value: z.string().optional() })) }),
    ),
    /** A domain refusal: the code and message the API would have answered. */
    refusal: z.object({ code: z.string(), message: z.string() }).optional(),
    /** True when the same document had been applied before (re-sent): nothing was applied again. */
    duplicate: z.boolean().optional(),
    /** True in a test interchange (ISA15 T): checked and mapped, never applied. */
    test: z.boolean().optional(),
  })
  .meta({ id: 'EdiSetOutcome' });
export type EdiSetOutcome = z.infer<typeof EdiSetOutcome>;

/** The partner's 997 for one of our interchanges. */
export const EdiReceivedAcknowledgement = z
  .object({
    status: z.enum(['accepted', 'partially_accepted', 'rejected']),
    receivedAt: z.string(),
    interchangeId: z.string(),
    groupCodes: z.array(z.string()),
    sets: z.array(z.object({ setId: z.string(), controlNumber: z.string(), status: z.enum(['accepted', 'rejected']), codes: z.array(z.string()), segmentErrors: z.array(z.object({ segmentId: z.string(), position: z.string(), code: z.string(), elements: z.array(z.object({ position: z.string(), code: z.string() })) })) })),
  })
  .meta({ id: 'EdiReceivedAcknowledgement' });
export type EdiReceivedAcknowledgement = z.infer<typeof EdiReceivedAcknowledgement>;

export const EdiInterchange = z
  .object({
    id: z.string(),
    direction: EdiDirection,
    supplierId: z.string(),
    /** ISA13 */
    controlNumber: z.string(),
    groupControlNumbers: z.array(z.string()),
    /** ST01 of each set: 850, 860, 855, 856, 810, 997. */
    setIds: z.array(z.string()),
    /** Outbound: 850 or 860; with `purpose` original, cancellation or change. */
    documentType: z.string().nullable(),
    purpose: z.string().nullable(),
    status: EdiInterchangeStatus,
    poNumbers: z.array(z.string()),
    sets: z.array(EdiSetOutcome),
    /** Inbound: the 997 we answered. */
    acknowledgementRaw: z.string().nullable(),
    /** Outbound: the partner's 997, once received. */
    acknowledgement: EdiReceivedAcknowledgement.nullable(),
    deliveryUrl: z.string().nullable(),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    createdAt: z.string(),
    raw: z.string(),
  })
  .meta({ id: 'EdiInterchange', description: 'One X12 interchange, inbound or outbound, with its raw text and 997 outcome.' });
export type EdiInterchange = z.infer<typeof EdiInterchange>;

export const EdiInterchangeListQuery = z
  .object({
    direction: EdiDirection.optional(),
    supplierId: z.string().min(1).max(64).optional(),
    poNumber: z.string().min(1).max(64).optional(),
    status: EdiInterchangeStatus.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().min(1).max(512).optional(),
  })
  .strict()
  .meta({ id: 'EdiInterchangeListQuery' });
export type EdiInterchangeListQuery = z.infer<typeof EdiInterchangeListQuery>;

export const EdiInterchangePage = z
  .object({ items: z.array(EdiInterchange), nextCursor: z.string().nullable() })
  .meta({ id: 'EdiInterchangePage' });

/** What a PO shows of its EDI traffic (GET /v1/purchase-orders/{poNumber}, `edi`). */
export const PurchaseOrderEdi = z
  .object({
    /** The partner's 997 for our latest 850/860, or null while none came. */
    functionalAcknowledgement: z
      .object({ documentType: z.string(), purpose: z.string().nullable(), controlNumber: z.string(), status: z.enum(['pending', 'accepted', 'partially_accepted', 'rejected']), acknowledgement: EdiReceivedAcknowledgement.nullable() })
      .nullable(),
    interchanges: z.array(z.object({ id: z.string(), direction: EdiDirection, setIds: z.array(z.string()), controlNumber: z.string(), status: EdiInterchangeStatus, createdAt: z.string() })),
  })
  .meta({ id: 'PurchaseOrderEdi' });
export type PurchaseOrderEdi = z.infer<typeof PurchaseOrderEdi>;
