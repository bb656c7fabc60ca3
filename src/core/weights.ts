/**
 * A trained model as the two files tfjs loads back (`tf.loadLayersModel`): `model.json` (topology plus weights
 * manifest) and one `weights.bin`. Written here: the run driver makes them when a model ends, so that its GPU memory
 * can be freed at once (the worker keeps the bytes for 'exportWeights', the CLI writes them to --out; train.py writes
 * the same files). Read here: `loadWeights` builds a model from them, for the run driver's evaluation of weights
 * trained elsewhere.
 */
import * as tf from '@tensorflow/tfjs';
import './dropout'; // registers WrnBlockDropout, the class name saved models use for dropout
import { messageOf } from './errors';
import { RunFailure } from './runErrors';
import { IMAGE_SIZE, NUM_CLASSES } from './shape';

/** The file name the manifest points at; the page saves the ArrayBuffer under it. */
export const WEIGHTS_FILE = 'weights.bin';

export interface SavedWeights {
  /** the model's name, e.g. "WRN-16-4" */
  name: string;
  /** the text of a `model.json` whose manifest names WEIGHTS_FILE */
  modelJson: string;
  /** all weights, float32, in manifest order */
  weights: ArrayBuffer;
}

/** Reads every weight back from the device (async: no GPU stall on the worker's thread). */
export async function saveWeights(model: tf.LayersModel, name: string): Promise<SavedWeights> {
  let artifacts: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
  const a = artifacts as tf.io.ModelArtifacts | null;
  if (!a?.modelTopology || !a.weightSpecs || !a.weightData) throw new Error(`saving ${name} produced no weights`);
  const json: tf.io.ModelJSON = {
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: a.weightSpecs }],
    format: a.format ?? 'layers-model',
    generatedBy: a.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
  };
  return { name, modelJson: JSON.stringify(json), weights: tf.io.CompositeArrayBuffer.join(a.weightData) };
}

/**
 * The tfjs model in `model.json` + `weights.bin`, checked to be a CIFAR-10 classifier of 32x32x3 images.
 * Throws RunFailure('bad-data') saying what is wrong.
 */
export async function loadWeights(w: SavedWeights): Promise<tf.LayersModel> {
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(w.modelJson) as tf.io.ModelJSON;
  } catch (err) {
    throw new RunFailure('bad-data', `model.json is not JSON: ${messageOf(err)}`, OPEN_HINT);
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new RunFailure('bad-data', 'model.json has no modelTopology or weightsManifest: it is not a tfjs layers model', OPEN_HINT);
  }
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const expected = specs.reduce((n, s) => n + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
  if (w.weights.byteLength !== expected) {
    throw new RunFailure('bad-data', `weights.bin has ${w.weights.byteLength} bytes; model.json's manifest needs ${expected}`, OPEN_HINT);
  }
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: w.weights }));
  } catch (err) {
    throw new RunFailure('bad-data', `tfjs cannot build this model: ${messageOf(err)}`, OPEN_HINT);
  }
  const input = model.inputs[0]?.shape ?? [];
  const output = model.outputs[0]?.shape ?? [];
  if (model.inputs.length !== 1 || input.slice(1).join('x') !== `${IMAGE_SIZE}x${IMAGE_SIZE}x3` || output.slice(1).join() !== String(NUM_CLASSES)) {
    model.dispose();
    throw new RunFailure(
      'bad-data',
      `this model takes [${input.join(', ')}] and gives [${output.join(', ')}], not 32x32x3 images to 10 classes`,
      OPEN_HINT,
    );
  }
  return model;
}

const OPEN_HINT = 'Open the model.json and weights.bin that `wrn train --out`, train.py --out or this page saved, together.';
