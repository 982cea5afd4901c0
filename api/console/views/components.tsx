/** Small pieces every console page uses: form fields with their errors, money, dates, badges. */
import type { ComponentChildren } from 'preact';
import type { FormState } from '../forms';
import { CSRF_FIELD } from '../session';

const fieldId = (form: string, name: string) => `${form}-${name}`.replace(/[^A-Za-z0-9_-]/g, '-');

/** The hidden fields every command form carries: the CSRF token and the form's idempotency key. */
export function CommandFields({ csrfToken, idempotencyKey }: { csrfToken: string; idempotencyKey?: string }) {
  return (
    <>
      <input type="hidden" name={CSRF_FIELD} value={csrfToken} />
      {idempotencyKey && <input type="hidden" name="idempotencyKey" value={idempotencyKey} />}
    </>
  );
}

interface FieldProps {
  form: string;
  name: string;
  label: string;
  state?: FormState | undefined;
  type?: 'text' | 'date';
  value?: string;
  required?: boolean;
  hint?: string;
  placeholder?: string;
  inputMode?: 'decimal' | 'numeric' | 'text';
  size?: 'small' | 'wide';
  /** Visually hidden label (in a table row whose column header says it). */
  quietLabel?: boolean;
}

/** A labelled input with its error next to it (aria-describedby), keeping what was typed after a refusal. */
export function Field({ form, name, label, state, type = 'text', value, required, hint, placeholder, inputMode, size, quietLabel }: FieldProps) {
  const id = fieldId(form, name);
  const mine = state?.form === form ? state : undefined;
  const error = mine?.fieldErrors[name];
  const shown = mine ? (mine.values[name] ?? '') : (value ?? '');
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class={`field${error ? ' field-invalid' : ''}${size ? ` field-${size}` : ''}`}>
      <label for={id} class={quietLabel ? 'visually-hidden' : undefined}>
        {label}
      </label>
      <input
        id={id}
        name={name}
        type={type as 'text'}
        value={shown}
        required={required}
        placeholder={placeholder}
        inputMode={inputMode}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy || undefined}
      />
      {hint && (
        <span class="hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
      {error && (
        <span class="field-error" id={`${id}-error`}>
          {error}
        </span>
      )}
    </div>
  );
}

export function SelectField({ form, name, label, options, state, value, quietLabel }: { form: string; name: string; label: string; options: [string, string][]; state?: FormState | undefined; value?: string; quietLabel?: boolean }) {
  const id = fieldId(form, name);
  const mine = state?.form === form ? state : undefined;
  const error = mine?.fieldErrors[name];
  const chosen = mine ? mine.values[name] : value;
  return (
    <div class={`field${error ? ' field-invalid' : ''}`}>
      <label for={id} class={quietLabel ? 'visually-hidden' : undefined}>
        {label}
      </label>
      <select id={id} name={name} aria-invalid={error ? 'true' : undefined} aria-describedby={error ? `${id}-error` : undefined}>
        {options.map(([optionValue, text]) => (
          <option value={optionValue} selected={optionValue === chosen}>
            {text}
          </option>
        ))}
      </select>
      {error && (
        <span class="field-error" id={`${id}-error`}>
          {error}
        </span>
      )}
    </div>
  );
}

export function FormError({ form, state }: { form: string; state?: FormState | undefined }) {
  if (state?.form !== form || !state.formError) return null;
  return (
    <p class="form-error" role="alert">
      {state.formError}
    </p>
  );
}

export function Money({ amount, currency }: { amount: string; currency: string }) {
  const [whole, cents = '00'] = amount.split('.');
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (
    <span class="money">
      {grouped}.{cents.padEnd(2, '0').slice(0, 2)} <span class="currency">{currency}</span>
    </span>
  );
}

export function DateTime({ at }: { at: string | null | undefined }) {
  if (!at) return <span class="muted">—</span>;
  return <time datetime={at}>{at.slice(0, 16).replace('T', ' ')} UTC</time>;
}

const STATUS_TONE: Record<string, string> = {
  pending_approval: 'warn',
  issued: 'info',
  changes_pending: 'warn',
  acknowledged: 'info',
  in_transit: 'info',
  partially_received: 'info',
  received: 'ok',
  closed: 'muted',
  cancelled: 'muted',
  exception: 'bad',
  pending_receipt: 'warn',
  approved: 'ok',
  scheduled: 'info',
  paid: 'ok',
  rejected: 'bad',
  executed: 'info',
  sent: 'info',
  cleared: 'ok',
  failed: 'bad',
  open: 'bad',
};

export function Badge({ status, children }: { status: string; children?: ComponentChildren }) {
  return <span class={`badge badge-${STATUS_TONE[status] ?? 'info'}`}>{children ?? status.replace(/_/g, ' ')}</span>;
}

export function PageHeader({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="page-header">
      <h1>{title}</h1>
      {children && <div class="page-actions">{children}</div>}
    </div>
  );
}

export function Notice({ text }: { text?: string | undefined }) {
  if (!text) return null;
  return (
    <p class="notice" role="status">
      {text}
    </p>
  );
}
