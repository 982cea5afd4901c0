/**
 * While a dead worker's workflow task waits for another worker, Temporal refuses Updates with
 * FAILED_PRECONDITION "Workflow Task in failed state": a passing state, answered 503 with
 * Retry-After (seen under `npm run chaos`), not a 500. Other FAILED_PRECONDITIONs stay 500.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServiceError } from '@temporalio/client';
import { toApiError } from '../../api/errors';

const grpc = (code: number, details: string) => Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });

describe('an Update refused while the workflow task is being taken over', () => {
  it('answers 503 WORKER_UNAVAILABLE with Retry-After', () => {
    const error = new ServiceError('Workflow Update failed', {
      cause: grpc(9, 'Unable to perform workflow execution update due to Workflow Task in failed state.'),
    });
    const mapped = toApiError(error);
    assert.equal(mapped.status, 503);
    assert.equal(mapped.code, 'WORKER_UNAVAILABLE');
    assert.ok(mapped.headers['Retry-After']);
  });

  it('answers the same to update-with-start (issuing a PO), whose gRPC error comes unwrapped', () => {
    const error = Object.assign(grpc(9, 'Update-with-Start could not be executed.'), {
      message: 'Unable to perform workflow execution update due to Workflow Task in failed state.',
    });
    const mapped = toApiError(error);
    assert.equal(mapped.status, 503);
    assert.equal(mapped.code, 'WORKER_UNAVAILABLE');
  });

  it('leaves other failed preconditions alone', () => {
    assert.equal(toApiError(new ServiceError('Workflow Update failed', { cause: grpc(9, 'something else') })).status, 500);
  });
});
