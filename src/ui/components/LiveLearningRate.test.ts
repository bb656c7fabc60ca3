/**
 * The live learning-rate control as the page renders it (to markup, on the real worker client and training store):
 * a run resumed from a checkpoint shows the rate that was set by hand before it, and "Back to schedule" is offered.
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../core/config';
import type { Checkpoint } from '../../core/checkpoint';
import type { ToWorker } from '../../worker/protocol';
import { createTrainingStore, TrainingProvider } from '../hooks/useTraining';
import { checkpointAt } from '../../../test/fixtures/checkpoint';
import { fakeWorker, modelStarted, serverSource, stepPoint } from '../../../test/fixtures/worker';
import { createWorkerClient, type WorkerClient } from '../workerClient';
import { LiveLearningRate } from './LiveLearningRate';

function render(client: WorkerClient): string {
  const store = createTrainingStore(client);
  // children come as createElement's third argument, which its typing does not count as the required prop
  const props = { store } as Parameters<typeof TrainingProvider>[0];
  return renderToStaticMarkup(createElement(TrainingProvider, props, createElement(LiveLearningRate)));
}

/** The text of the mode line and whether "Back to schedule" can be pressed. */
function shown(html: string) {
  const mode = /data-testid="live-lr-mode"[^>]*>([^<]*)/.exec(html)?.[1] ?? null;
  const back = /<button[^>]*>Back to schedule<\/button>/.exec(html)?.[0] ?? '';
  return { mode, backEnabled: back !== '' && !back.includes('disabled') };
}

function resumeFrom(checkpoint: Checkpoint) {
  const { worker, sent, receive } = fakeWorker();
  const client = createWorkerClient(worker);
  const runId = client.start(DEFAULT_CONFIG, serverSource, { historyKey: 'k1', checkpoint, models: [] });
  return { client, runId, receive, start: sent.at(-1) as Extract<ToWorker, { type: 'start' }> };
}

describe('live learning rate control', () => {
  it('shows a resumed run going on with the rate set by hand before its checkpoint, and offers the schedule back', () => {
    const { client, runId, receive, start } = resumeFrom({ ...checkpointAt(3), lrOverride: 0.002 });
    expect(start.resumeFrom?.lrOverride).toBe(0.002); // the worker's runner gets it too
    expect(shown(render(client))).toEqual({ mode: 'Set by hand to 0.002', backEnabled: true });
    receive(modelStarted(runId));
    receive({ type: 'metrics', runId, model: 0, points: [{ ...stepPoint(4), lr: 0.002 }] });
    expect(shown(render(client)).mode).toBe('Set by hand to 0.002 · last step used 0.002');
    client.setLearningRate(null);
    expect(shown(render(client))).toEqual({ mode: 'Following the schedule · last step used 0.002', backEnabled: false });
  });

  it('shows the schedule for a checkpoint that says so, or one written before the rate was kept', () => {
    expect(shown(render(resumeFrom({ ...checkpointAt(3), lrOverride: null }).client))).toEqual({ mode: 'Following the schedule', backEnabled: false });
    expect(shown(render(resumeFrom(checkpointAt(3)).client))).toEqual({ mode: 'Following the schedule', backEnabled: false });
  });
});
