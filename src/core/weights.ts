/**
 * A trained model as the two files tfjs loads back (`tf.loadLayersModel`): `model.json` (topology plus weights
 * manifest) and one `weights.bin`. In tfjs, the one writer of them: the run driver makes them when a model ends, so
 * that its GPU memory can be freed at once; the worker keeps the bytes for 'exportWeights', the CLI writes them to
 * --out. (The exported train.py writes the same two files from PyTorch.)
 */
import * as tf from '@tensorflow/tfjs';

/** The file name the manifest points at; the page saves the ArrayBuffer under it. */
export const WEIGHTS_FILE = 'weights.bin';

export interface SavedWeights {
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
