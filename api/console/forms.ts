/**
 * Form posts into command bodies, and command failures into what a form shows next to its fields.
 * Field names are the schema's paths (`lines.0.quantity`), so a zod issue lands on its own input.
 */
import { randomUUID } from 'node:crypto';
import { parseIdempotencyKey } from '../idempotency';
import { toApiError } from '../errors';

export type FormValues = Record<string, string>;

/** What a form shows after a refused post: the values typed, an error per field, and one for the form. */
export interface FormState {
  form: string;
  values: FormValues;
  fieldErrors: Record<string, string>;
  formError?: string;
  status: number;
}

/** The flat fields of a urlencoded post; repeated names keep their last value. */
export function formValues(body: unknown): FormValues {
  const values: FormValues = {};
  if (body && typeof body === 'object') {
    for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
      const last = Array.isArray(value) ? value.at(-1) : value;
      if (typeof last === 'string') values[name] = last;
    }
  }
  return values;
}

/** A form's post as a command body, and how to find a body path's field again. */
export interface NestedForm {
  body: Record<string, unknown>;
  /** `lines.0.quantity` of the body → the name of the input it came from (`lines.2.quantity` when rows 0 and 1 were left empty). */
  fieldOf(path: string): string;
}

/**
 * Dotted names into a nested object (`lines.0.quantity` → `{lines: [{quantity}]}`); empty fields are
 * left out so that optional fields stay optional, and a row whose fields are all empty (or only
 * `keep` fields such as a hidden lineNo) is left out. `only` picks the fields of the command.
 */
export function nest(values: FormValues, only: (name: string) => boolean, keep: readonly string[] = ['lineNo']): NestedForm {
  const root: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(values)) {
    const value = raw.trim();
    if (value === '' || !only(name)) continue;
    const segments = name.split('.');
    let node: any = root;
    segments.forEach((segment, index) => {
      const key = /^\d+$/.test(segment) ? Number(segment) : segment;
      if (index === segments.length - 1) {
        // Line numbers are numbers in every schema; a form only has text.
        node[key] = segment === 'lineNo' && /^\d{1,9}$/.test(value) ? Number(value) : value;
        return;
      }
      node[key] ??= /^\d+$/.test(segments[index + 1]!) ? [] : {};
      node = node[key];
    });
  }
  const rowMaps = new Map<string, number[]>();
  const isEmptyRow = (row: unknown) => row === undefined || (typeof row === 'object' && row !== null && Object.keys(row).every((key) => keep.includes(key)));
  const compact = (node: unknown, path: string): unknown => {
    if (Array.isArray(node)) {
      const kept = node.map((row, index) => [row, index] as const).filter(([row]) => !isEmptyRow(row));
      rowMaps.set(path, kept.map(([, index]) => index));
      return kept.map(([row], index) => compact(row, `${path}.${index}`));
    }
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, compact(value, path ? `${path}.${key}` : key)]));
    return node;
  };
  const body = compact(root, '') as Record<string, unknown>;
  return {
    body,
    fieldOf(path) {
      const segments = path.split('.');
      const out: string[] = [];
      segments.forEach((segment, index) => {
        const parent = segments.slice(0, index).join('.');
        const map = /^\d+$/.test(segment) ? rowMaps.get(parent) : undefined;
        out.push(map && map[Number(segment)] !== undefined ? String(map[Number(segment)]) : segment);
      });
      return out.join('.');
    },
  };
}

/** A key per rendered form: the same form posted twice is the same command (docs/console.md, "Same commands as the API"). */
export function newIdempotencyKey(): string {
  return `console-${randomUUID()}`;
}

export function idempotencyKeyOf(values: FormValues): string {
  return parseIdempotencyKey(values.idempotencyKey ?? '');
}

/**
 * A refused command as its form shows it: field errors by path, the rest as the form's error.
 * `fieldOf` turns a body path back into the input's name (rows left empty were dropped).
 */
export function failedForm(form: string, values: FormValues, error: unknown, fieldOf: (path: string) => string = (path) => path): FormState {
  const apiError = toApiError(error);
  const fieldErrors: Record<string, string> = {};
  const unplaced: string[] = [];
  for (const raw of apiError.errors ?? []) {
    // An empty field is left out of the body, so zod reports it as missing: say so plainly.
    const issue = /received undefined$/.test(raw.message) ? { ...raw, message: 'Required.' } : raw;
    const name = fieldOf(issue.path);
    // A hidden field (a row's line number) has nowhere to show its error: the form shows it.
    if (name.endsWith('lineNo')) unplaced.push(`${issue.path}: ${issue.message}`);
    else if (issue.path && Object.hasOwn(values, name)) fieldErrors[name] ??= issue.message;
    else if (issue.path && Object.keys(values).some((key) => key.startsWith(`${name}.`))) fieldErrors[name] ??= issue.message;
    else unplaced.push(issue.path ? `${issue.path}: ${issue.message}` : issue.message);
  }
  const formError = apiError.errors?.length ? (unplaced.length ? unplaced.join('; ') : undefined) : apiError.message;
  return { form, values, fieldErrors, ...(formError ? { formError } : {}), status: apiError.status >= 500 ? apiError.status : apiError.status === 400 ? 422 : apiError.status };
}
