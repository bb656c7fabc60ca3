/**
 * The files a person picks to open weights trained elsewhere: a tfjs `model.json` (any name ending in .json, as the
 * page's own download "WRN-10-1-model.json") and the `.bin` files its manifest names. Read in the page; nothing is
 * uploaded anywhere.
 */
import { echo } from '../../core/echo';
import { MAX_NAME } from '../../core/metricsFile';
import type { SavedWeights } from '../../core/weights';

interface Manifest {
  modelTopology?: { config?: { name?: unknown } };
  weightsManifest?: { paths?: unknown }[];
}

/** Throws an Error that says what is missing or wrong. */
export async function readWeightsFiles(files: readonly File[]): Promise<SavedWeights> {
  const jsons = files.filter((f) => /\.json$/i.test(f.name));
  const bins = files.filter((f) => /\.bin$/i.test(f.name));
  if (jsons.length !== 1) throw new Error(`choose one model.json (and its weights.bin); got ${jsons.length} .json files`);
  const modelJson = await jsons[0]!.text();
  let doc: Manifest;
  try {
    doc = JSON.parse(modelJson) as Manifest;
  } catch (e) {
    throw new Error(`${jsons[0]!.name} is not JSON: ${echo((e as Error).message, 120)}`);
  }
  if (!doc.modelTopology || !Array.isArray(doc.weightsManifest))
    throw new Error(`${jsons[0]!.name} is not a tfjs model.json (no modelTopology or weightsManifest)`);
  const paths = doc.weightsManifest.flatMap((g) => (Array.isArray(g.paths) ? g.paths.map(String) : []));
  // By the names the manifest gives; a single .bin under another name (a browser renames repeated downloads) is
  // taken for a manifest of one file.
  const chosen = paths.map((p) => bins.find((b) => b.name === p.split('/').pop()) ?? (paths.length === 1 && bins.length === 1 ? bins[0] : undefined));
  const missing = paths.filter((_, i) => !chosen[i]);
  if (missing.length)
    throw new Error(
      `choose ${missing
        .slice(0, 5)
        .map((m) => echo(m))
        .join(', ')}${missing.length > 5 ? ', ...' : ''} too (the weights model.json names)`,
    );
  const parts = await Promise.all(chosen.map((f) => f!.arrayBuffer()));
  const weights = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    weights.set(new Uint8Array(p), offset);
    offset += p.byteLength;
  }
  const topName = doc.modelTopology.config?.name;
  const name = typeof topName === 'string' && topName ? topName : jsons[0]!.name.replace(/\.json$/i, '');
  // The name is the run's name on the page (and its cost is read from it): a name, not a payload.
  if (name.length > MAX_NAME) throw new Error(`the model's name "${echo(name)}" is longer than ${MAX_NAME} characters`);
  return { name, modelJson, weights: weights.buffer };
}
