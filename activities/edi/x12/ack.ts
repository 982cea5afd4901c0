/**
 * The 997 functional acknowledgement, both ways: `acknowledgementSets` writes one 997 per
 * functional group we received (AK1, AK2/AK3/AK4/AK5 per set, AK9); `readAcknowledgement` reads a
 * partner's 997 for the groups we sent.
 */
import { element, segmentId } from './syntax';
import type { FunctionalGroup, SegmentError, TransactionSet } from './envelope';

/** What became of one set: accepted, or rejected with its AK5 codes and AK3/AK4 detail. */
export interface SetOutcome {
  accepted: boolean;
  /** AK502.. (up to 5). */
  codes: string[];
  segmentErrors: SegmentError[];
}

/** One 997 (the segments between ST and SE) for a received group and the outcome of each of its sets. */
export function acknowledgementFor(group: FunctionalGroup, outcomes: readonly SetOutcome[]): string[][] {
  const segments: string[][] = [['AK1', group.functionalId, group.controlNumber]];
  let accepted = 0;
  group.sets.forEach((set, index) => {
    const outcome = outcomes[index] ?? { accepted: false, codes: [], segmentErrors: [] };
    segments.push(['AK2', set.id, set.controlNumber]);
    for (const error of outcome.segmentErrors.slice(0, 50)) {
      segments.push(['AK3', error.segmentId, String(error.position), '', error.code]);
      for (const elementError of error.elements.slice(0, 99)) {
        // AK404 copies the bad value, minus control characters our 997 must not carry.
        segments.push(['AK4', String(elementError.position), '', elementError.code, (elementError.value ?? '').replace(/[\u0000-\u001F\u007F]/g, '').slice(0, 99)]);
      }
    }
    if (outcome.accepted) {
      accepted += 1;
      segments.push(['AK5', 'A']);
    } else {
      segments.push(['AK5', 'R', ...outcome.codes.slice(0, 5)]);
    }
  });
  const received = group.sets.length;
  const groupAccepted = group.errors.length === 0 && accepted === received;
  const status = group.errors.length > 0 ? 'R' : groupAccepted ? 'A' : accepted === 0 ? 'R' : 'P';
  const included = group.errors.length > 0 ? 0 : accepted;
  segments.push(['AK9', status, String(received), String(received), String(included), ...group.errors.slice(0, 5)]);
  return segments;
}

export type AcknowledgementStatus = 'accepted' | 'partially_accepted' | 'rejected';

export interface ReceivedAcknowledgement {
  /** AK101 / AK102: the group of ours it answers. */
  functionalId: string;
  groupControlNumber: string;
  status: AcknowledgementStatus;
  /** AK905..: group codes. */
  groupCodes: string[];
  sets: { setId: string; controlNumber: string; status: 'accepted' | 'rejected'; codes: string[]; segmentErrors: { segmentId: string; position: string; code: string; elements: { position: string; code: string }[] }[] }[];
}

const AK9_STATUS: Record<string, AcknowledgementStatus> = { A: 'accepted', E: 'accepted', P: 'partially_accepted', R: 'rejected', M: 'rejected', W: 'rejected', X: 'rejected' };

/** Reads a partner's 997 (syntax already checked by ./sets.ts). */
export function readAcknowledgement(set: TransactionSet): ReceivedAcknowledgement {
  const result: ReceivedAcknowledgement = { functionalId: '', groupControlNumber: '', status: 'rejected', groupCodes: [], sets: [] };
  let current: ReceivedAcknowledgement['sets'][number] | undefined;
  for (const segment of set.body) {
    switch (segmentId(segment)) {
      case 'AK1':
        result.functionalId = element(segment, 1);
        result.groupControlNumber = element(segment, 2);
        break;
      case 'AK2':
        current = { setId: element(segment, 1), controlNumber: element(segment, 2), status: 'accepted', codes: [], segmentErrors: [] };
        result.sets.push(current);
        break;
      case 'AK3':
        current?.segmentErrors.push({ segmentId: element(segment, 1), position: element(segment, 2), code: element(segment, 4), elements: [] });
        break;
      case 'AK4':
        current?.segmentErrors.at(-1)?.elements.push({ position: element(segment, 1), code: element(segment, 3) });
        break;
      case 'AK5':
        if (current) {
          current.status = ['A', 'E'].includes(element(segment, 1)) ? 'accepted' : 'rejected';
          current.codes = segment.elements.slice(2).filter((code) => code !== '');
        }
        break;
      case 'AK9':
        result.status = AK9_STATUS[element(segment, 1)] ?? 'rejected';
        result.groupCodes = segment.elements.slice(5).filter((code) => code !== '');
        break;
      default:
        break;
    }
  }
  return result;
}
