/**
 * Who did something, shared by every view (the PO's state, holds, approvals, disputes).
 */
import { z } from 'zod';
import { ActorRole } from './enums';

/** Who did something: the API key's role (and supplier), or the workflow itself for timers. */
export const Actor = z
  .object({
    role: ActorRole,
    /** A stable, non-secret label of the caller, e.g. "procurement#3f2a" or "supplier:ACME". */
    id: z.string(),
    supplierId: z.string().optional(),
  })
  .meta({ id: 'Actor' });
