/**
 * The console's forms (api/console/forms.ts): dotted field names into command bodies, rows left
 * empty dropped, and a refused command's errors back onto the inputs they came from.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failedForm, nest } from '../../api/console/forms';
import { UnprocessableError } from '../../api/errors';
import { AdvanceShipNotice, InvoiceResolution } from '../../workflows/domain/schemas';

const asnFields = (name: string) => ['asnNumber', 'shipDate', 'carrier'].includes(name) || name.startsWith('lines.');

describe('console forms', () => {
  it('turns an ASN form into the ASN the API takes: line numbers as numbers, empty rows and fields left out', () => {
    const form = nest(
      { _csrf: 't', asnNumber: 'ASN-1', shipDate: '2026-12-02', carrier: '', 'lines.0.lineNo': '1', 'lines.0.quantity': '', 'lines.1.lineNo': '2', 'lines.1.quantity': '4' },
      asnFields,
    );
    assert.deepEqual(form.body, { asnNumber: 'ASN-1', shipDate: '2026-12-02', lines: [{ lineNo: 2, quantity: '4' }] });
    assert.deepEqual(AdvanceShipNotice.parse(form.body).lines, [{ lineNo: 2, quantity: '4' }]);
    assert.equal(form.fieldOf('lines.0.quantity'), 'lines.1.quantity', 'an error on the first line sent is on the second row of the form');
  });

  it('puts a refused field\'s error next to that field and keeps what was typed', () => {
    const values = { asnNumber: 'ASN#1', shipDate: '2026-12-02', 'lines.0.lineNo': '1', 'lines.0.quantity': '', 'lines.1.lineNo': '2', 'lines.1.quantity': '-3' };
    const form = nest(values, asnFields);
    const parsed = AdvanceShipNotice.safeParse(form.body);
    assert.equal(parsed.success, false);
    const state = failedForm('asn', values, parsed.error, form.fieldOf);
    assert.equal(state.status, 422);
    assert.equal(state.fieldErrors.asnNumber, 'letters, digits, space, and . _ / - only');
    assert.ok(state.fieldErrors['lines.1.quantity'], JSON.stringify(state));
    assert.equal(state.values['lines.1.quantity'], '-3');
  });

  it('a required field left empty says "Required." next to it', () => {
    const values = { reason: '  ', action: 'approve' };
    const parsed = InvoiceResolution.safeParse(nest(values, (name) => name === 'reason' || name === 'action').body);
    const state = failedForm('row', values, parsed.error);
    assert.deepEqual(state.fieldErrors, { reason: 'Required.' });
    assert.equal(state.formError, undefined);
  });

  it('a business refusal is the form\'s error, not a field\'s', () => {
    const refusal = new UnprocessableError('Line 1 (BOLT-M8): ASN quantity 11 exceeds the open quantity 10', 'ASN_EXCEEDS_OPEN_QUANTITY');
    const state = failedForm('asn', { asnNumber: 'ASN-1' }, refusal);
    assert.equal(state.status, 422);
    assert.deepEqual(state.fieldErrors, {});
    assert.equal(state.formError, 'Line 1 (BOLT-M8): ASN quantity 11 exceeds the open quantity 10');
  });
});
