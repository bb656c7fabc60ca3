/**
 * "Inside the nets": why a wide, shallow net beats a thin, deep one, shown for the runs on the page. The residual
 * contribution of every block over training (blocks points), each convolution's weight and gradient norms, the
 * lesion study of the trained weights, and the feature maps of a test image the person picks.
 *
 * Lesions and feature maps need the weights: an ended model of the current run (or the files it evaluates) from the
 * worker, a stored run's latest checkpoint from the run history; imported metrics carry none. They are computed in
 * the worker after the current run (a lesion study runs by itself when a run finishes; the person can start,
 * repeat or cancel it), on the test images of the data source chosen now.
 */
import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { RECORD_PIXELS } from '../../core/data/dataset';
import { DEFAULT_LESION_DRAWS } from '../../core/insight/lesion';
import type { TestSamples } from '../../core/data/dataset';
import type { CloneableSource } from '../../core/data/sources';
import { useHistory } from '../hooks/useHistory';
import { isActive, useTrainingClient, useTrainingSelector } from '../hooks/useTraining';
import { colorSlots, runLabel } from '../lib/comparison';
import { heatmapOf, layerRanges, layerSeries, sharedMax } from '../lib/insight';
import type { RunRecord } from '../lib/runRecord';
import { InspectionCancelled, type Inspection, type InspectTarget } from '../workerClient';
import { colorOf } from './colors';
import { FeatureMaps, type FeaturesState } from './FeatureMaps';
import { LayerNorms } from './LayerNorms';
import { LesionView, type LesionNet, type LesionState } from './LesionView';
import { ResidualHeatmaps } from './ResidualHeatmap';
import './InsideNets.css';

interface Props {
  runs: readonly RunRecord[];
  samples: TestSamples | null;
  /** the test image picked in the evaluation grid (index into `samples`), null before one is */
  picked: number | null;
  /** the page's data source now (the test images lesions run on), null while it cannot be used */
  source: (() => CloneableSource) | null;
}

/** A net whose weights can be looked inside: how to reach them, and a key that changes with them. */
interface Inspectable {
  key: string;
  run: RunRecord;
  label: string;
  color: string;
  /** resolves the weights (null: none stored) and says where they come from */
  target(): Promise<{ target: InspectTarget; note: string } | null>;
  /** a live model that has just ended: its lesion study starts by itself */
  auto: boolean;
}

export function InsideNets({ runs, samples, picked, source }: Props) {
  const id = useId();
  const client = useTrainingClient();
  const history = useHistory();
  const phase = useTrainingSelector((v) => v.phase);
  const runId = useTrainingSelector((v) => v.runId);
  const runConfig = useTrainingSelector((v) => v.runConfig);
  const idle = !isActive(phase);

  const slots = useMemo(() => colorSlots(runs), [runs]);
  const described = useMemo(() => runs.map((run, i) => ({ run, label: runLabel(run, runs), color: colorOf(slots[i]!) })), [runs, slots]);

  const heat = useMemo(
    () =>
      described.flatMap(({ run, label, color }) => {
        const map = heatmapOf(run.blocks ?? []);
        return map ? [{ id: run.id, label, color, map, probeImages: run.blocks!.at(-1)!.probeImages }] : [];
      }),
    [described],
  );
  const max = useMemo(() => sharedMax(heat.map((h) => h.map)), [heat]);
  const layerNets = useMemo(
    () => described.flatMap(({ run, label, color }) => (run.blocks?.length ? [{ id: run.id, label, color, layers: layerSeries(run.blocks) }] : [])),
    [described],
  );
  const ranges = useMemo(() => layerRanges(layerNets.flatMap((n) => n.layers)), [layerNets]);

  // Nets with weights: live ones once ended, stored ones (their checkpoint), not imported metrics.
  const inspectables = useMemo((): Inspectable[] => {
    return described.flatMap(({ run, label, color }): Inspectable[] => {
      if (run.imported) return [];
      if (run.id.startsWith('live-')) {
        const index = Number(run.id.slice('live-'.length));
        const weights = run.summary ? client.weightsOf(index) : null;
        if (!weights || !runConfig || runId === null) return [];
        return [
          {
            key: `run${runId}-${run.id}`,
            run,
            label,
            color,
            auto: true,
            target: async () =>
              source
                ? {
                    target: { config: runConfig, source: source(), weights },
                    note: weights.kind === 'files' ? 'the weights opened' : 'the trained weights',
                  }
                : null,
          },
        ];
      }
      if (!history) return [];
      return [
        {
          key: run.id,
          run,
          label,
          color,
          auto: false,
          target: async () => {
            const stored = await history.weightsOf(run.id);
            if (!stored || !source) return null;
            return { target: { config: stored.config, source: source(), weights: stored.weights }, note: `the weights stored at step ${stored.step}` };
          },
        },
      ];
    });
  }, [described, client, history, runConfig, runId, source]);

  const lesions = useLesions(inspectables, idle);
  const features = useFeatures(inspectables, samples, picked);
  // Every net with weights; imported metrics too (they say they carry none), but only beside some that have.
  const lesionNets = described.flatMap(({ run, label, color }): LesionNet[] => {
    const item = inspectables.find((i) => i.run === run);
    if (item)
      return [
        {
          key: item.key,
          label,
          color,
          weightsNote: lesions.notes.get(item.key) ?? 'its weights',
          state: lesions.states[item.key] ?? { status: 'idle' as const },
        },
      ];
    return run.imported && inspectables.length ? [{ key: run.id, label, color, weightsNote: null, state: { status: 'idle' as const } }] : [];
  });

  if (runs.length === 0) return null;
  const anyBlocks = heat.length > 0;
  return (
    <section className="card inside" aria-labelledby={`${id}-title`} data-testid="inside-nets">
      <div className="card-head">
        <h2 id={`${id}-title`}>Inside the nets: why wide beats deep</h2>
      </div>
      <div className="inside-about">
        <p>
          Zagoruyko and Komodakis argue that in a thin, deep residual net many blocks learn little (<em>diminishing feature reuse</em>): the signal can
          flow around them through the identity shortcuts, so a shallower, wider net, whose every block counts, trains faster and better. These views show
          it for the runs above.
        </p>
        <ul>
          <li>
            <strong>Residual contribution</strong>: each row is a block (g2b3: group 2, block 3), each column an evaluation; the colour is r = ‖F(x)‖ /
            ‖shortcut(x)‖, how much the block's residual branch adds to what passes it, on the first test images (the <code>probe</code> key). Pale rows
            are blocks that barely change the signal.
          </li>
          <li>
            <strong>Lesions</strong>: the test accuracy with one block's residual branch removed (bars; the dashed line is the intact net), and with k
            random blocks removed. If most single removals barely hurt, the net behaves like an ensemble of shallower paths.
          </li>
          <li>
            <strong>Feature maps</strong>: pick a test image in Evaluation to see the 16 most active channels after each group.{' '}
            <strong>Layer statistics</strong>: each convolution's weight and gradient norm; a vanishing gradient sits low.
          </li>
        </ul>
        <p className="sub cite">
          S. Zagoruyko, N. Komodakis, <cite>Wide Residual Networks</cite>, BMVC 2016. A. Veit, M. Wilber, S. Belongie,{' '}
          <cite>Residual Networks Behave Like Ensembles of Relatively Shallow Networks</cite>, NeurIPS 2016. S. Jastrzębski, D. Arpit, N. Ballas, V. Verma,
          T. Che, Y. Bengio, <cite>Residual Connections Encourage Iterative Inference</cite>, ICLR 2018.
        </p>
      </div>

      <h3>Residual contribution per block</h3>
      {anyBlocks ? (
        <ResidualHeatmaps nets={heat} max={max} />
      ) : (
        <p className="sub">Measured at each evaluation; the first one comes at the end of the first epoch (or the eval interval).</p>
      )}

      <h3>Lesion study</h3>
      {lesionNets.length ? (
        <LesionView nets={lesionNets} idle={idle} onRun={lesions.run} onCancel={lesions.cancel} />
      ) : (
        <p className="sub">Runs when a model finishes (on its weights); for stored runs and opened weights on demand.</p>
      )}

      <h3>Feature maps</h3>
      {picked === null || !samples ? (
        <p className="sub">Pick a test image in Evaluation (below the confusion matrix) to see what each net makes of it.</p>
      ) : inspectables.length === 0 ? (
        <p className="sub">Feature maps need weights: they appear once a model has finished, or for a stored run or opened weights.</p>
      ) : (
        <div className="feature-picked">
          <PickedImage samples={samples} index={picked} />
          <FeatureMaps
            nets={inspectables.map((n) => ({ key: n.key, label: n.label, color: n.color, state: features[n.key] ?? { status: 'waiting' } }))}
            idle={idle}
          />
        </div>
      )}

      {ranges && layerNets.length > 0 && (
        <details className="layer-details" open={layerNets.length * (layerNets[0]?.layers.length ?? 0) <= 60}>
          <summary>
            <h3>Layer statistics over training</h3>
          </summary>
          <LayerNorms nets={layerNets} ranges={ranges} />
        </details>
      )}
    </section>
  );
}

function PickedImage({ samples, index }: { samples: TestSamples; index: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = canvas.current?.getContext('2d');
    if (!ctx) return;
    const rgba = new Uint8ClampedArray(32 * 32 * 4);
    const base = index * RECORD_PIXELS;
    for (let i = 0; i < 1024; i++) {
      for (let c = 0; c < 3; c++) rgba[4 * i + c] = samples.pixels[base + c * 1024 + i]!;
      rgba[4 * i + 3] = 255;
    }
    ctx.putImageData(new ImageData(rgba, 32, 32), 0, 0);
  }, [samples, index]);
  return (
    <figure className="picked-image">
      <canvas ref={canvas} width={32} height={32} role="img" aria-label={`test image ${index + 1}`} />
      <figcaption className="sub">test image {index + 1}</figcaption>
    </figure>
  );
}

/** The lesion studies of the page: one per inspectable net, started by itself for a live net that ended. */
function useLesions(inspectables: readonly Inspectable[], idle: boolean) {
  const client = useTrainingClient();
  const [states, setStates] = useState<Record<string, LesionState>>({});
  const handles = useRef(new Map<string, Inspection<unknown>>());
  const notes = useRef(new Map<string, string>());
  const started = useRef(new Set<string>());
  const set = useCallback((key: string, s: LesionState) => setStates((old) => ({ ...old, [key]: s })), []);

  const run = useCallback(
    (key: string) => {
      const item = inspectables.find((i) => i.key === key);
      if (!item || handles.current.has(key)) return;
      started.current.add(key);
      set(key, { status: 'waiting', done: 0, total: 0 });
      void item.target().then((t) => {
        if (!t) {
          set(key, { status: 'failed', message: 'no weights stored for this model, or no data source to test on' });
          return;
        }
        notes.current.set(key, t.note);
        const h = client.lesion(t.target, DEFAULT_LESION_DRAWS, 0, (done, total) => set(key, { status: 'running', done, total }));
        handles.current.set(key, h);
        h.result.then(
          (result) => set(key, { status: 'done', result }),
          (err: unknown) =>
            set(
              key,
              err instanceof InspectionCancelled
                ? { status: 'cancelled' }
                : { status: 'failed', message: err instanceof Error ? err.message : String(err) },
            ),
        );
        void h.result.catch(() => undefined).finally(() => handles.current.delete(key));
      });
    },
    [inspectables, client, set],
  );
  const cancel = useCallback((key: string) => handles.current.get(key)?.cancel(), []);

  // A live model that ended gets its study once the run is over (the worker would queue it behind the run anyway).
  useEffect(() => {
    if (!idle) return;
    for (const i of inspectables) if (i.auto && !started.current.has(i.key)) run(i.key);
  }, [idle, inspectables, run]);

  return { states, notes: notes.current, run, cancel };
}

/** The feature maps of the picked image, per inspectable net (asked again when the image or the nets change). */
function useFeatures(inspectables: readonly Inspectable[], samples: TestSamples | null, picked: number | null): Record<string, FeaturesState> {
  const client = useTrainingClient();
  const [states, setStates] = useState<Record<string, FeaturesState>>({});
  const current = useRef(inspectables);
  current.current = inspectables;
  // The nets by key: a new list of the same nets asks nothing again.
  const keys = inspectables.map((i) => i.key).join('|');
  useEffect(() => {
    void keys;
    if (picked === null || !samples || picked * RECORD_PIXELS >= samples.pixels.length) return;
    const pixels = samples.pixels.slice(picked * RECORD_PIXELS, (picked + 1) * RECORD_PIXELS);
    const handles: Inspection<unknown>[] = [];
    let live = true;
    setStates({});
    for (const item of current.current) {
      void item.target().then((t) => {
        if (!live) return;
        if (!t) {
          setStates((old) => ({ ...old, [item.key]: { status: 'failed', message: 'no weights stored for this model' } }));
          return;
        }
        const h = client.features(t.target, pixels.slice());
        handles.push(h);
        h.result.then(
          (groups) => live && setStates((old) => ({ ...old, [item.key]: { status: 'done', groups } })),
          (err: unknown) =>
            live &&
            !(err instanceof InspectionCancelled) &&
            setStates((old) => ({ ...old, [item.key]: { status: 'failed', message: err instanceof Error ? err.message : String(err) } })),
        );
      });
    }
    return () => {
      live = false;
      for (const h of handles) h.cancel();
    };
  }, [keys, picked, samples, client]);
  return states;
}
