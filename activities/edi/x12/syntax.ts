/**
 * The X12 syntax layer: reads the separators from the ISA segment itself (ISA is fixed-width,
 * 106 characters) and splits an interchange into segments and elements. Nothing here knows what a
 * segment means; ./envelope.ts checks the envelopes and ./sets.ts the transaction sets
 * (docs/edi.md, docs/adr/0100-own-x12-tokenizer.md).
 */

export interface Delimiters {
  element: string;
  /** ISA11 when it is a separator (00402 and later); 004010 sends "U" there, so none. */
  repetition: string | undefined;
  component: string;
  segment: string;
}

/** One segment: `elements[0]` is the segment id, so `elements[1]` is XX01 as the standard numbers it. */
export interface Segment {
  elements: string[];
  /** 1-based position in the interchange. */
  ordinal: number;
}

/** The media type of an X12 interchange over HTTP (RFC 1767). */
export const EDI_CONTENT_TYPE = 'application/edi-x12';

export const ISA_LENGTH = 106;
/** Widths of ISA01..ISA16 (X12.5): the ISA is read by position, never by splitting. */
const ISA_WIDTHS = [2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1] as const;

export class X12SyntaxError extends Error {
  constructor(
    message: string,
    /** A stable code for the problem+json answer. */
    readonly code: string,
  ) {
    super(message);
    this.name = 'X12SyntaxError';
  }
}

export const segmentId = (segment: Segment): string => segment.elements[0] ?? '';
/** Element `position` (1-based) of a segment, '' when absent. */
export const element = (segment: Segment, position: number): string => segment.elements[position] ?? '';

/**
 * Reads the delimiters from the ISA: the element separator is the 4th character, ISA16 (the
 * component separator) the 105th, the segment terminator the 106th. Every element separator of the
 * ISA must sit where the fixed widths put it, else the interchange cannot be read at all.
 */
export function readDelimiters(text: string): Delimiters {
  if (!text.startsWith('ISA')) throw new X12SyntaxError('An interchange starts with an ISA segment.', 'EDI_NO_ISA');
  if (text.length < ISA_LENGTH) throw new X12SyntaxError(`The ISA segment is ${text.length} characters; it must be exactly ${ISA_LENGTH}.`, 'EDI_ISA_LENGTH');
  const separator = text[3]!;
  if (/[A-Za-z0-9 ]/.test(separator)) throw new X12SyntaxError(`The element separator "${separator}" must not be a letter, digit or space.`, 'EDI_ISA_SEPARATORS');
  let offset = 3;
  for (const [index, width] of ISA_WIDTHS.entries()) {
    if (text[offset] !== separator) {
      throw new X12SyntaxError(
        `The ISA segment must be exactly ${ISA_LENGTH} characters with fixed-width elements: ISA${String(index + 1).padStart(2, '0')} is not ${width} characters long.`,
        'EDI_ISA_LENGTH',
      );
    }
    offset += 1 + width;
  }
  const component = text[ISA_LENGTH - 2]!;
  const segment = text[ISA_LENGTH - 1]!;
  const isa11 = text.slice(82, 83);
  const repetition = /[A-Za-z0-9]/.test(isa11) ? undefined : isa11;
  const delimiters = [separator, component, segment, ...(repetition ? [repetition] : [])];
  if (new Set(delimiters).size !== delimiters.length) throw new X12SyntaxError('The ISA uses the same character for two separators.', 'EDI_ISA_SEPARATORS');
  if (/[A-Za-z0-9 ]/.test(segment) || /[A-Za-z0-9 ]/.test(component)) {
    throw new X12SyntaxError('The component separator (ISA16) and the segment terminator must not be letters, digits or spaces.', 'EDI_ISA_SEPARATORS');
  }
  return { element: separator, repetition, component, segment };
}

/**
 * Splits the whole interchange into segments. CR and LF after a terminator (common in files) are
 * ignored; trailing whitespace after the last segment too.
 */
export function tokenize(text: string): { delimiters: Delimiters; segments: Segment[] } {
  const start = text.replace(/^\uFEFF/, '').replace(/^[\r\n\t ]+/, '');
  const delimiters = readDelimiters(start);
  const segments: Segment[] = [];
  let ordinal = 0;
  for (const raw of start.split(delimiters.segment)) {
    const trimmed = raw.replace(/^[\r\n]+/, '').replace(/[\r\n]+$/, '');
    if (trimmed === '') continue;
    ordinal += 1;
    segments.push({ elements: trimmed.split(delimiters.element), ordinal });
  }
  return { delimiters, segments };
}

/** Writes segments with the given delimiters, one per line (the terminator followed by LF). */
export function serialize(segments: readonly (readonly string[])[], delimiters: Delimiters = DEFAULT_DELIMITERS): string {
  return segments.map((elements) => trimTrailingEmpty(elements).join(delimiters.element) + delimiters.segment).join('\n') + '\n';
}

/** Optional elements at the end of a segment are left out, not sent empty (X12.6). */
function trimTrailingEmpty(elements: readonly string[]): readonly string[] {
  let end = elements.length;
  while (end > 1 && elements[end - 1] === '') end -= 1;
  return elements.slice(0, end);
}

export const DEFAULT_DELIMITERS: Delimiters = { element: '*', repetition: undefined, component: '>', segment: '~' };

/** Characters a value we write must not contain: they would split it. */
export function sanitizeValue(value: string, delimiters: Delimiters = DEFAULT_DELIMITERS): string {
  const forbidden = [delimiters.element, delimiters.component, delimiters.segment, ...(delimiters.repetition ? [delimiters.repetition] : [])];
  let out = '';
  for (const character of value.replace(/[\r\n]+/g, ' ')) out += forbidden.includes(character) ? ' ' : character;
  return out;
}
