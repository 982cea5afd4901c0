/**
 * Envelope checks of an inbound interchange (X12.5/X12.6): ISA/IEA, GS/GE, ST/SE, their control
 * numbers and counts. What fails at the interchange level (no readable ISA, IEA missing or not
 * matching) cannot be acknowledged by a 997 and is refused whole; what fails in a group or a set is
 * reported in the 997 (AK9/AK5 codes) and only that group or set is left out.
 */
import { element, segmentId, tokenize, X12SyntaxError } from './syntax';
import type { Delimiters, Segment } from './syntax';

/** AK3 segment syntax error codes (X12 element 720). */
export const SegmentErrorCode = {
  unrecognizedSegment: '1',
  unexpectedSegment: '2',
  mandatoryMissing: '3',
  loopOccursOverMaximum: '4',
  segmentExceedsMaximumUse: '5',
  notInDefinedSet: '6',
  outOfSequence: '7',
  dataElementErrors: '8',
} as const;

/** AK4 data element syntax error codes (X12 element 723). */
export const ElementErrorCode = {
  mandatoryMissing: '1',
  conditionalMissing: '2',
  tooManyElements: '3',
  tooShort: '4',
  tooLong: '5',
  invalidCharacter: '6',
  invalidCode: '7',
  invalidDate: '8',
  invalidTime: '9',
  exclusionViolated: '10',
} as const;

/** AK5 transaction set syntax error codes (X12 element 718). */
export const SetErrorCode = {
  notSupported: '1',
  trailerMissing: '2',
  controlNumberMismatch: '3',
  segmentCountMismatch: '4',
  segmentsInError: '5',
  missingOrInvalidIdentifier: '6',
  missingOrInvalidControlNumber: '7',
} as const;

/** AK9 functional group syntax error codes (X12 element 716). */
export const GroupErrorCode = {
  notSupported: '1',
  versionNotSupported: '2',
  trailerMissing: '3',
  controlNumberMismatch: '4',
  setCountMismatch: '5',
  controlNumberInvalid: '6',
} as const;

export interface ElementError {
  /** AK401: position in the segment. */
  position: number;
  /** AK403 */
  code: string;
  /** AK404: a copy of the bad value (truncated). */
  value?: string;
}

export interface SegmentError {
  /** AK301 */
  segmentId: string;
  /** AK302: position in the set, ST being 1. */
  position: number;
  /** AK304 */
  code: string;
  elements: ElementError[];
}

export interface TransactionSet {
  /** ST01: 850, 855, 856, 810, 997, ... */
  id: string;
  /** ST02 */
  controlNumber: string;
  st: Segment;
  /** The segments between ST and SE. */
  body: Segment[];
  /** AK502..: set-level error codes; empty when the envelope of the set is sound. */
  errors: string[];
  segmentErrors: SegmentError[];
}

export interface FunctionalGroup {
  /** GS01: PR (855), SH (856), IN (810), FA (997), PO (850), PC (860). */
  functionalId: string;
  senderId: string;
  receiverId: string;
  /** GS06 */
  controlNumber: string;
  /** GS08 */
  version: string;
  sets: TransactionSet[];
  /** AK905..: group-level error codes. */
  errors: string[];
}

export interface InterchangeHeader {
  senderQualifier: string;
  senderId: string;
  receiverQualifier: string;
  receiverId: string;
  /** ISA09/ISA10 as sent (YYMMDD, HHMM). */
  date: string;
  time: string;
  /** ISA13 */
  controlNumber: string;
  /** ISA12 */
  version: string;
  /** ISA15: P production, T test. */
  usage: string;
}

export interface Interchange {
  delimiters: Delimiters;
  header: InterchangeHeader;
  groups: FunctionalGroup[];
}

/** The interchange cannot be acknowledged: refused whole, with a problem+json. */
export class InterchangeError extends X12SyntaxError {}

const CONTROL_NUMBER = /^\d{1,9}$/;

/**
 * Reads the whole interchange and checks its envelopes. Throws InterchangeError (or
 * X12SyntaxError) for what makes the interchange unreadable; group and set problems are carried
 * in `errors` for the 997.
 */
export function readInterchange(text: string): Interchange {
  const { delimiters, segments } = tokenize(text);
  const isa = segments[0]!;
  const header: InterchangeHeader = {
    senderQualifier: element(isa, 5).trim(),
    senderId: element(isa, 6).trim(),
    receiverQualifier: element(isa, 7).trim(),
    receiverId: element(isa, 8).trim(),
    date: element(isa, 9),
    time: element(isa, 10),
    controlNumber: element(isa, 13),
    version: element(isa, 12),
    usage: element(isa, 15),
  };
  if (!/^\d{9}$/.test(header.controlNumber)) throw new InterchangeError(`ISA13 "${header.controlNumber}" must be 9 digits.`, 'EDI_ISA_CONTROL_NUMBER');
  if (!/^\d{6}$/.test(header.date) || !validDate(`20${header.date}`) || !/^\d{4}$/.test(header.time) || !validTime(header.time)) {
    throw new InterchangeError(`ISA09/ISA10 "${header.date}"/"${header.time}" are not a valid date (YYMMDD) and time (HHMM).`, 'EDI_ISA_DATE');
  }
  if (!['P', 'T'].includes(header.usage)) throw new InterchangeError(`ISA15 "${header.usage}" must be P (production) or T (test).`, 'EDI_ISA_USAGE');
  const last = segments[segments.length - 1]!;
  if (segments.length < 2 || segmentId(last) !== 'IEA') throw new InterchangeError('The interchange has no IEA trailer.', 'EDI_IEA_MISSING');
  if (element(last, 2) !== header.controlNumber) {
    throw new InterchangeError(`IEA02 "${element(last, 2)}" does not match ISA13 "${header.controlNumber}".`, 'EDI_IEA_CONTROL_NUMBER');
  }

  const groups: FunctionalGroup[] = [];
  let group: FunctionalGroup | undefined;
  let set: TransactionSet | undefined;
  const closeSet = (errorCode: string) => {
    if (set) set.errors.push(errorCode);
    set = undefined;
  };
  for (const segment of segments.slice(1, -1)) {
    const id = segmentId(segment);
    if (id === 'ISA' || id === 'IEA') throw new InterchangeError(`Segment ${segment.ordinal} is a second ${id}; send one interchange per message.`, 'EDI_NESTED_INTERCHANGE');
    if (id === 'GS') {
      if (set) closeSet(SetErrorCode.trailerMissing);
      if (group) group.errors.push(GroupErrorCode.trailerMissing);
      group = {
        functionalId: element(segment, 1),
        senderId: element(segment, 2),
        receiverId: element(segment, 3),
        controlNumber: element(segment, 6),
        version: element(segment, 8),
        sets: [],
        errors: [],
      };
      // A group a 997 cannot name (AK101, AK102) cannot be acknowledged: refused whole.
      if (!/^[A-Z]{2}$/.test(group.functionalId) || !CONTROL_NUMBER.test(group.controlNumber)) {
        throw new InterchangeError(`Segment ${segment.ordinal}: GS01 "${group.functionalId}" and GS06 "${group.controlNumber}" must be a functional id and a control number of 1 to 9 digits.`, 'EDI_GS_INVALID');
      }
      if (!validDate(element(segment, 4)) || !validTime(element(segment, 5))) group.errors.push(GroupErrorCode.notSupported);
      if (group.version !== '004010') group.errors.push(GroupErrorCode.versionNotSupported);
      groups.push(group);
      continue;
    }
    if (!group) throw new InterchangeError(`Segment ${segment.ordinal} (${id}) is outside any functional group (GS).`, 'EDI_NO_GROUP');
    if (id === 'GE') {
      if (set) closeSet(SetErrorCode.trailerMissing);
      if (element(segment, 2) !== group.controlNumber) group.errors.push(GroupErrorCode.controlNumberMismatch);
      if (element(segment, 1) !== String(group.sets.length)) group.errors.push(GroupErrorCode.setCountMismatch);
      group = undefined;
      continue;
    }
    if (id === 'ST') {
      if (set) closeSet(SetErrorCode.trailerMissing);
      set = { id: element(segment, 1), controlNumber: element(segment, 2), st: segment, body: [], errors: [], segmentErrors: [] };
      // A set a 997 cannot name (AK201, AK202) cannot be acknowledged: refused whole.
      if (!/^\d{3}$/.test(set.id) || !/^\d{4,9}$/.test(set.controlNumber)) {
        throw new InterchangeError(`Segment ${segment.ordinal}: ST01 "${set.id}" and ST02 "${set.controlNumber}" must be a set id of 3 digits and a control number of 4 to 9 digits.`, 'EDI_ST_INVALID');
      }
      if (group.sets.some((other) => other.controlNumber === set!.controlNumber)) set.errors.push(SetErrorCode.missingOrInvalidControlNumber);
      group.sets.push(set);
      continue;
    }
    if (!set) {
      // A segment between sets belongs to none: the group is broken.
      if (!group.errors.includes(GroupErrorCode.notSupported)) group.errors.push(GroupErrorCode.notSupported);
      continue;
    }
    if (id === 'SE') {
      if (element(segment, 2) !== set.controlNumber) set.errors.push(SetErrorCode.controlNumberMismatch);
      // SE01 counts ST and SE themselves.
      if (element(segment, 1) !== String(set.body.length + 2)) set.errors.push(SetErrorCode.segmentCountMismatch);
      set = undefined;
      continue;
    }
    set.body.push(segment);
  }
  if (set) closeSet(SetErrorCode.trailerMissing);
  if (group) group.errors.push(GroupErrorCode.trailerMissing);
  if (element(last, 1) !== String(groups.length)) {
    throw new InterchangeError(`IEA01 says ${element(last, 1)} functional groups; the interchange has ${groups.length}.`, 'EDI_IEA_GROUP_COUNT');
  }
  if (groups.length === 0) throw new InterchangeError('The interchange carries no functional group.', 'EDI_NO_GROUP');
  return { delimiters, header, groups };
}

/** CCYYMMDD, a real calendar date. */
export function validDate(value: string): boolean {
  if (!/^\d{8}$/.test(value)) return false;
  const year = Number(value.slice(0, 4));
  const month = Number(value.slice(4, 6));
  const day = Number(value.slice(6, 8));
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** HHMM, HHMMSS or HHMMSSd..d */
export function validTime(value: string): boolean {
  const match = /^(\d{2})(\d{2})(\d{2})?(\d{1,2})?$/.exec(value);
  if (!match) return false;
  return Number(match[1]) < 24 && Number(match[2]) < 60 && (match[3] === undefined || Number(match[3]) < 60);
}

/** CCYYMMDD → YYYY-MM-DD */
export const isoDate = (value: string): string => `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}`;
