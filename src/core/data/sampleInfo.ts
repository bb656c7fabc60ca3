/**
 * The built-in CIFAR-10 sample's sizes, for code that must know them without loading it (the URL decoder's limits,
 * the page's source picker). `sample.test.ts` checks them against the committed sample's manifest.
 *
 * The sample: 2,000 training images (the first 200 of each class in `data_batch_1` order, exact pixels) and 1,000
 * test images (100 per class from the JPEG-decoded test subset), as PNG sprites under `public/cifar10-sample/`,
 * made by `scripts/make-sample.ts`.
 */
export const SAMPLE = {
  /** training images in the sample (200 per class) */
  train: 2000,
  /** test images in the sample (100 per class) */
  test: 1000,
  /** bytes to download: the two sprites and the manifest (sample.test.ts checks it) */
  bytes: 6_628_830,
  /** the folder under the site's root (Vite's `public/`) that holds it */
  folder: 'cifar10-sample/',
  /** its manifest, in that folder */
  manifest: 'sample.json',
} as const;
