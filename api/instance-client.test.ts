import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { ServiceError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { AppError } from './errors';
import { resent, toAppError } from './instance-client';

/** A gRPC failure as @grpc/grpc-js reports it, wrapped by the Temporal client as it wraps history long polls. */
function serviceError(code: GrpcStatus, details: string): ServiceError {
  const grpc = Object.assign(new Error(`${code} ${details}`), { code, details, metadata: new Metadata() });
  return new ServiceError('Failed to get Workflow execution history', { cause: grpc });
}

describe('Temporal errors as API answers', () => {
  it.each([
    [GrpcStatus.CANCELLED, 'Call cancelled', 503, 'temporal_timeout'],
    [GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded', 503, 'temporal_timeout'],
    [GrpcStatus.UNAVAILABLE, 'No connection established', 503, 'temporal_unavailable'],
    [GrpcStatus.RESOURCE_EXHAUSTED, 'too many outstanding updates', 503, 'instance_busy'],
    [GrpcStatus.NOT_FOUND, 'workflow not found', 404, 'not_found'],
    [GrpcStatus.FAILED_PRECONDITION, 'workflow completed', 409, 'not_running'],
  ])('When a call fails with gRPC status %s (%s), then the API answers %s %s', (code, details, status, appCode) => {
    const mapped = toAppError(serviceError(code, details));
    expect(mapped).toBeInstanceOf(AppError);
    expect(mapped).toMatchObject({ status, code: appCode });
  });

  it('When an update comes back refused by the rules, then 409 with the refusal code; left unprocessed by the worker, then 503 (nothing was applied)', () => {
    const refused = new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ type: 'same_stage', message: 'already there', nonRetryable: true }));
    expect(toAppError(refused)).toMatchObject({ status: 409, code: 'same_stage', message: 'already there' });
    const unprocessed = new WorkflowUpdateFailedError(
      'Workflow Update failed',
      ApplicationFailure.create({ type: 'UnprocessedUpdate', message: "Workflow Update is rejected because it wasn't processed by worker." }),
    );
    expect(toAppError(unprocessed)).toMatchObject({ status: 503, code: 'instance_busy' });
  });

  it('When the error is not one Temporal explains, then it is passed on unchanged (a 500)', () => {
    const err = new Error('something else');
    expect(toAppError(err)).toBe(err);
  });
});

describe('updates the worker left unprocessed', () => {
  const unprocessed = () =>
    new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ type: 'UnprocessedUpdate', message: 'not processed by worker' }));

  /** A send that fails as listed, then answers `done`; counts its calls. */
  function sender(failures: Error[]) {
    let calls = 0;
    const send = async () => {
      const failure = failures[calls++];
      if (failure) throw failure;
      return 'done';
    };
    return { send, calls: () => calls };
  }

  it('When the server answers UnprocessedUpdate, then the same send is made again until it is taken', async () => {
    const { send, calls } = sender([unprocessed(), unprocessed()]);
    let resends = 0;
    await expect(resent(send, () => resends++)).resolves.toBe('done');
    expect(calls()).toBe(3);
    expect(resends).toBe(2);
  });

  it('When an update is refused or fails otherwise, then it is not sent again', async () => {
    const refused = new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ type: 'same_stage', message: 'already there', nonRetryable: true }));
    const { send, calls } = sender([refused]);
    await expect(resent(send)).rejects.toBe(refused);
    expect(calls()).toBe(1);
  });

  it('When the worker keeps leaving it unprocessed, then it gives up after five resends with the last answer (a 503 for the API)', async () => {
    const last = unprocessed();
    const { send, calls } = sender([unprocessed(), unprocessed(), unprocessed(), unprocessed(), unprocessed(), last]);
    await expect(resent(send)).rejects.toBe(last);
    expect(calls()).toBe(6);
    expect(toAppError(last)).toMatchObject({ status: 503, code: 'instance_busy' });
  });
});
