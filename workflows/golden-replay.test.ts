import fs from 'node:fs';
import path from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker, type InjectedSinkFunction } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import { WORKFLOW_BUNDLER_OPTIONS, WORKFLOWS_PATH } from '../workers/bundle';
import { fingerprint } from './fingerprint';
import { unpackVersion } from './pinned-version';

/**
 * Golden replay. Temporal's replay (replay.test.ts) checks that the code asks
 * for the same kinds of commands; this one checks what it asks for: every
 * recorded history is replayed through today's workflows, and each activity
 * input they compute must be the recorded one (a remote activity's input is in
 * history; a local one's by the fingerprint its marker keeps), and the run must
 * end with the recorded result or continue as new with the recorded state. So a
 * change to a rule, to a deadline's computation or to the forecast's inputs
 * fails here, which Temporal's replay lets through. Runs recorded by 1.0 carry
 * the step inputs of 1.0 and are only replayed for determinism.
 */
const HISTORIES = path.join(__dirname, 'histories');
const INTERCEPTORS = require.resolve('./golden/interceptors');
const { EventType } = temporal.api.enums.v1;

jest.setTimeout(90_000);

beforeAll(() => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Installed already by another test in this process.
  }
});

const golden = fs
  .readdirSync(HISTORIES)
  .filter((f) => f.endsWith('.json') && !/-1\.0\.\d+\.json$/.test(f))
  .sort();

const decode = (payload: Payload | null | undefined): unknown => (payload ? defaultPayloadConverter.fromPayload(payload) : undefined);

interface Step {
  kind: 'remote' | 'local';
  activityType: string;
  /** The remote input, the local result. */
  value: unknown;
}

/** What a history recorded: the steps in order, and how the run ended. */
function recorded(file: string) {
  const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8')));
  const steps: Step[] = [];
  let ended: { kind: 'completed' | 'continued'; value: unknown } | undefined;
  for (const event of history.events ?? []) {
    if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
      const a = event.activityTaskScheduledEventAttributes!;
      steps.push({ kind: 'remote', activityType: a.activityType!.name!, value: decode(a.input?.payloads?.[0]) });
    } else if (event.markerRecordedEventAttributes?.markerName === 'core_local_activity') {
      const details = event.markerRecordedEventAttributes.details ?? {};
      const data = decode(details.data?.payloads?.[0]) as { activity_type: string };
      steps.push({ kind: 'local', activityType: data.activity_type, value: decode(details.result?.payloads?.[0]) });
    } else if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED) {
      ended = { kind: 'completed', value: decode(event.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0]) };
    } else if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW) {
      ended = { kind: 'continued', value: decode(event.workflowExecutionContinuedAsNewEventAttributes?.input?.payloads?.[0]) };
    }
  }
  return { history, steps, ended };
}

it('has histories recorded by this version to replay', () => {
  expect(golden.length).toBeGreaterThan(0);
});

it('When the histories recorded by this version are replayed, then the workflows plan the same steps and end in the same states', async () => {
  const runs = new Map<string, { steps: Array<{ kind: 'remote' | 'local'; activityType: string; args: unknown[] }>; ended?: { kind: string; value: unknown } }>();
  const of = (info: WorkflowInfo) => {
    let run = runs.get(info.workflowId);
    if (!run) runs.set(info.workflowId, (run = { steps: [] }));
    return run;
  };
  const scheduled: InjectedSinkFunction<(kind: 'remote' | 'local', activityType: string, args: unknown[]) => void> = {
    fn: (info, kind, activityType, args) => {
      of(info).steps.push({ kind, activityType, args });
    },
    callDuringReplay: true,
  };
  const ended: InjectedSinkFunction<(kind: 'completed' | 'continued', value: unknown) => void> = {
    fn: (info, kind, value) => {
      of(info).ended = { kind, value };
    },
    callDuringReplay: true,
  };
  const inputs = golden.map((file) => ({ file, ...recorded(file) }));
  const histories = inputs.map(({ file, history }) => ({ workflowId: path.basename(file, '.json'), history }));
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories(
    {
      workflowsPath: WORKFLOWS_PATH,
      bundlerOptions: WORKFLOW_BUNDLER_OPTIONS,
      interceptors: { workflowModules: [INTERCEPTORS] },
      sinks: { golden: { scheduled, ended } },
    },
    histories,
  )) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);

  for (const { file, steps, ended: end } of inputs) {
    const replayed = runs.get(path.basename(file, '.json'));
    expect({ file, steps: replayed?.steps.length }).toEqual({ file, steps: steps.length });
    steps.forEach((step, i) => {
      const got = replayed!.steps[i]!;
      const at = `${file} step ${i + 1} (${step.activityType})`;
      expect({ at, kind: got.kind, activityType: got.activityType }).toEqual({ at, kind: step.kind, activityType: step.activityType });
      if (step.kind === 'remote') expect({ at, input: got.args[0] }).toEqual({ at, input: step.value });
      else if (step.activityType === 'pipelineVersion') {
        const pinned = unpackVersion(step.value as Uint8Array);
        expect({ at, ref: got.args[0] }).toEqual({ at, ref: expect.objectContaining({ key: pinned.key, version: pinned.version }) });
      } else expect({ at, digest: fingerprint(got.args[0]) }).toEqual({ at, digest: (step.value as { digest?: string }).digest });
    });
    expect({ file, ended: replayed?.ended }).toEqual({ file, ended: end });
  }
});
