/**
 * Syntax of the transaction sets we read (X12 004010): which segments a set may carry, which are
 * mandatory, and each element's type, length and codes. A set that breaks these rules is rejected
 * in the 997 (AK5 R with AK3/AK4) before anything is mapped or applied.
 */
import { ElementErrorCode, SegmentErrorCode, SetErrorCode, validDate, validTime } from './envelope';
import type { ElementError, SegmentError, TransactionSet } from './envelope';
import { segmentId } from './syntax';

type ElementType = 'AN' | 'ID' | 'N0' | 'N2' | 'R' | 'DT' | 'TM';

interface ElementRule {
  type: ElementType;
  required?: boolean;
  min?: number;
  max?: number;
  codes?: readonly string[];
}

interface SegmentRule {
  /** Element rules by position (1-based); positions beyond the last rule are allowed when `open`. */
  elements: (ElementRule | undefined)[];
  /** Must appear at least once in the set. */
  required?: boolean;
  /** More positions than described are allowed (segments we only carry along). */
  open?: boolean;
}

const an = (max: number, required = false, min = 1): ElementRule => ({ type: 'AN', max, min, required });
const id = (codes?: readonly string[], required = false, max = 3): ElementRule => ({ type: 'ID', required, max, ...(codes ? { codes } : {}) });
const r = (required = false): ElementRule => ({ type: 'R', required, max: 15 });
const n0 = (required = false): ElementRule => ({ type: 'N0', required, max: 9 });
const n2 = (required = false): ElementRule => ({ type: 'N2', required, max: 15 });
const dt = (required = false): ElementRule => ({ type: 'DT', required });
const tm = (required = false): ElementRule => ({ type: 'TM', required });

/** Segments partners commonly send that we keep but do not interpret. */
const CARRIED: Record<string, SegmentRule> = Object.fromEntries(
  ['REF', 'N1', 'N2', 'N3', 'N4', 'PER', 'DTM', 'TD1', 'TD3', 'TD4', 'TD5', 'FOB', 'ITD', 'PID', 'MEA', 'PKG', 'MAN', 'MSG', 'NTE', 'AMT', 'CUR', 'TAX', 'SAC', 'TXI', 'CAD', 'ISS', 'PO4', 'PRF', 'CTT'].map((segment) => [
    segment,
    { elements: [], open: true },
  ]),
);

/** Unit basis codes, units of measure and product id qualifiers are open lists: checked as ID text. */
const SPECS: Record<string, Record<string, SegmentRule>> = {
  '855': {
    ...CARRIED,
    BAK: { required: true, elements: [undefined, id(['00', '01', '04', '05', '06']), id(['AT', 'AD', 'AC', 'RJ', 'AE', 'AP', 'NA'], true, 2), an(22, true), dt(true), undefined, undefined, undefined, an(30)], open: true },
    PO1: { elements: [undefined, an(20), r(), id(undefined, false, 2), r(), id(undefined, false, 2)], open: true },
    ACK: { elements: [undefined, id(['IA', 'IR', 'IQ', 'IP', 'IB', 'DR', 'IC', 'IH', 'ID', 'IS'], true, 2), r(), id(undefined, false, 2), id(['067', '068', '069', '002'], false, 3), dt()], open: true },
  },
  '856': {
    ...CARRIED,
    BSN: { required: true, elements: [undefined, id(['00', '01', '05', '06']), an(30, true, 2), dt(true), tm(true)], open: true },
    HL: { required: true, elements: [undefined, an(12, true), an(12), id(['S', 'O', 'P', 'T', 'I', 'F'], true, 2)], open: true },
    PRF: { elements: [undefined, an(22, true)], open: true },
    LIN: { elements: [undefined, an(20), id(undefined, true, 2), an(48, true)], open: true },
    SN1: { elements: [undefined, an(20), r(true), id(undefined, true, 2)], open: true },
  },
  '810': {
    ...CARRIED,
    BIG: { required: true, elements: [undefined, dt(true), an(22, true), dt(), an(22, true), undefined, undefined, id(['CR', 'DI', 'DR', 'CN', 'DC', 'FD'], false, 2)], open: true },
    CUR: { elements: [undefined, id(['BY', 'SE', 'PR'], true, 3), id(undefined, true, 3)], open: true },
    IT1: { elements: [undefined, an(20), r(true), id(undefined, true, 2), r(true)], open: true },
    TDS: { required: true, elements: [undefined, n2(true)], open: true },
    SAC: { elements: [undefined, id(['A', 'C', 'N'], true, 1), id(undefined, false, 4), undefined, undefined, n2()], open: true },
    TXI: { elements: [undefined, id(undefined, true, 2), r()], open: true },
  },
  '997': {
    AK1: { required: true, elements: [undefined, id(undefined, true, 2), n0(true)] },
    AK2: { elements: [undefined, id(undefined, true, 3), an(9, true, 4)] },
    AK3: { elements: [undefined, id(undefined, true, 3), n0(true), an(6), id(undefined, false, 3)] },
    AK4: { elements: [undefined, an(11, true), n0(), id(undefined, true, 3), an(99)] },
    AK5: { elements: [undefined, id(['A', 'E', 'M', 'R', 'W', 'X'], true, 1), id(), id(), id(), id(), id()] },
    AK9: { required: true, elements: [undefined, id(['A', 'E', 'M', 'P', 'R', 'W', 'X'], true, 1), n0(true), n0(true), n0(true), id(), id(), id(), id(), id()] },
  },
};

/** The functional group (GS01) each set we read travels in. */
export const FUNCTIONAL_ID: Record<string, string> = { '855': 'PR', '856': 'SH', '810': 'IN', '997': 'FA', '850': 'PO', '860': 'PC' };

export const supportedInbound = (setId: string): boolean => setId in SPECS;

/** Checks the set's segments against its spec; fills `set.segmentErrors` and `set.errors`. */
export function checkSetSyntax(set: TransactionSet, functionalId: string): void {
  const spec = SPECS[set.id];
  if (!spec || FUNCTIONAL_ID[set.id] !== functionalId) {
    if (!set.errors.includes(SetErrorCode.notSupported)) set.errors.push(SetErrorCode.notSupported);
    return;
  }
  const seen = new Set<string>();
  set.body.forEach((segment, index) => {
    const name = segmentId(segment);
    const position = index + 2;
    const rule = spec[name];
    if (!/^[A-Z][A-Z0-9]{1,2}$/.test(name)) {
      // AK301 echoes the id: cleaned to letters and digits, "XX" when nothing is left of it.
      const echoed = name.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 3);
      set.segmentErrors.push({ segmentId: echoed.length >= 2 ? echoed : 'XX', position, code: SegmentErrorCode.unrecognizedSegment, elements: [] });
      return;
    }
    if (!rule || name === 'SE') {
      set.segmentErrors.push({ segmentId: name, position, code: SegmentErrorCode.unexpectedSegment, elements: [] });
      return;
    }
    seen.add(name);
    const elements = checkElements(segment.elements, rule);
    if (elements.length > 0) set.segmentErrors.push({ segmentId: name, position, code: SegmentErrorCode.dataElementErrors, elements });
  });
  for (const [name, rule] of Object.entries(spec)) {
    if (rule.required && !seen.has(name)) set.segmentErrors.push({ segmentId: name, position: set.body.length + 2, code: SegmentErrorCode.mandatoryMissing, elements: [] });
  }
  if (set.segmentErrors.length > 0 && !set.errors.includes(SetErrorCode.segmentsInError)) set.errors.push(SetErrorCode.segmentsInError);
}

function checkElements(values: readonly string[], rule: SegmentRule): ElementError[] {
  const errors: ElementError[] = [];
  const described = rule.elements.length - 1;
  if (!rule.open && values.length - 1 > described) errors.push({ position: described + 1, code: ElementErrorCode.tooManyElements });
  for (let position = 1; position <= described; position += 1) {
    const elementRule = rule.elements[position];
    if (!elementRule) continue;
    const value = values[position] ?? '';
    const code = elementProblem(value, elementRule);
    if (code) errors.push({ position, code, ...(value === '' ? {} : { value: value.slice(0, 99) }) });
  }
  return errors;
}

function elementProblem(value: string, rule: ElementRule): string | undefined {
  if (value === '') return rule.required ? ElementErrorCode.mandatoryMissing : undefined;
  if (rule.max !== undefined && value.length > rule.max) return ElementErrorCode.tooLong;
  if (rule.min !== undefined && value.length < rule.min) return ElementErrorCode.tooShort;
  switch (rule.type) {
    case 'N0':
      return /^-?\d+$/.test(value) ? undefined : ElementErrorCode.invalidCharacter;
    case 'N2':
      return /^-?\d+$/.test(value) ? undefined : ElementErrorCode.invalidCharacter;
    case 'R':
      return /^-?(\d+\.?\d*|\.\d+)$/.test(value) ? undefined : ElementErrorCode.invalidCharacter;
    case 'DT':
      return validDate(value) ? undefined : ElementErrorCode.invalidDate;
    case 'TM':
      return validTime(value) ? undefined : ElementErrorCode.invalidTime;
    case 'ID':
      if (rule.codes && !rule.codes.includes(value)) return ElementErrorCode.invalidCode;
      return /^[A-Za-z0-9]+$/.test(value) ? undefined : ElementErrorCode.invalidCharacter;
    default:
      return /[\u0000-\u001F]/.test(value) ? ElementErrorCode.invalidCharacter : undefined;
  }
}

export type { SegmentError };
