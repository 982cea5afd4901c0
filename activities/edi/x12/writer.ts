/**
 * Writes interchanges: our ISA/GS/ST envelopes around the sets a caller built, with the control
 * numbers it allocated (per partner, in PostgreSQL: ../knex-edi.ts). Values are padded and cleaned
 * of separators here, so no field of a PO can break the interchange.
 */
import { DEFAULT_DELIMITERS, sanitizeValue, serialize } from './syntax';

export interface Party {
  qualifier: string;
  id: string;
  /** GS02/GS03; defaults to the interchange id. */
  gsId?: string;
}

export interface OutboundSet {
  /** ST01 */
  id: string;
  /** ST02 */
  controlNumber: string;
  /** The segments between ST and SE, each as [id, ...elements]. */
  segments: string[][];
}

export interface EnvelopeInput {
  sender: Party;
  receiver: Party;
  /** GS01 */
  functionalId: string;
  /** ISA13 as a number; written with 9 digits. */
  interchangeControlNumber: number;
  groupControlNumber: number;
  sets: OutboundSet[];
  at: Date;
  /** ISA15 */
  usage?: 'P' | 'T';
}

const pad = (value: string, width: number): string => sanitizeValue(value).slice(0, width).padEnd(width, ' ');
const digits = (value: number, width: number): string => String(value).padStart(width, '0');

export function ymd(at: Date): string {
  return `${at.getUTCFullYear()}${digits(at.getUTCMonth() + 1, 2)}${digits(at.getUTCDate(), 2)}`;
}

export function hhmm(at: Date): string {
  return `${digits(at.getUTCHours(), 2)}${digits(at.getUTCMinutes(), 2)}`;
}

/** ST control numbers are 4 to 9 digits. */
export const setControlNumber = (value: number): string => digits(value, 4);

/** One interchange with one functional group; returns the raw X12. */
export function writeInterchange(input: EnvelopeInput): string {
  const isa13 = digits(input.interchangeControlNumber, 9);
  const gs06 = String(input.groupControlNumber);
  const date = ymd(input.at);
  const time = hhmm(input.at);
  const segments: string[][] = [
    [
      'ISA', '00', pad('', 10), '00', pad('', 10),
      pad(input.sender.qualifier, 2), pad(input.sender.id, 15),
      pad(input.receiver.qualifier, 2), pad(input.receiver.id, 15),
      date.slice(2), time, 'U', '00401', isa13, '0', input.usage ?? 'P', DEFAULT_DELIMITERS.component,
    ],
    ['GS', input.functionalId, clean(input.sender.gsId ?? input.sender.id), clean(input.receiver.gsId ?? input.receiver.id), date, time, gs06, 'X', '004010'],
  ];
  for (const set of input.sets) {
    const body = set.segments.map((segment) => [segment[0]!, ...segment.slice(1).map(clean)]);
    segments.push(['ST', set.id, set.controlNumber], ...body, ['SE', String(body.length + 2), set.controlNumber]);
  }
  segments.push(['GE', String(input.sets.length), gs06], ['IEA', '1', isa13]);
  return serialize(segments);
}

const clean = (value: string): string => sanitizeValue(value).trim();

/** Decimal string → X12 R (no trailing zeros, no plus sign). */
export function decimalR(value: string): string {
  if (!value.includes('.')) return value;
  const trimmed = value.replace(/0+$/, '').replace(/\.$/, '');
  return trimmed === '' || trimmed === '-' ? '0' : trimmed;
}

/** Decimal string → X12 N2 (implied two decimals): "1234.50" → "123450". */
export function decimalN2(value: string): string {
  const negative = value.startsWith('-');
  const [whole = '0', fraction = ''] = value.replace(/^-/, '').split('.');
  const cents = `${whole}${(fraction + '00').slice(0, 2)}`.replace(/^0+(?=\d)/, '');
  return `${negative ? '-' : ''}${cents}`;
}

/** X12 N2 (implied two decimals) → decimal string: "123450" → "1234.50". */
export function fromN2(value: string): string {
  const negative = value.startsWith('-');
  const magnitude = value.replace(/^-/, '').padStart(3, '0');
  return `${negative ? '-' : ''}${magnitude.slice(0, -2).replace(/^0+(?=\d)/, '')}.${magnitude.slice(-2)}`;
}
