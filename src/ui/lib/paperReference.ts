/**
 * The paper's published CIFAR-10 results (Zagoruyko & Komodakis 2016, median test error of 5 runs on the full
 * 50,000-image training set after 200 epochs; arXiv 1605.07146), as reference marks for the
 * accuracy-versus-cost picture. They are not comparable with a run here on a subset for a few epochs: the picture
 * keeps them on their own, named layer and says so.
 */
import { modelName, type ModelConfig } from '../../core/config';
import { trainFlopsPerImage, wrnCost } from '../../core/cost';

/** The paper's training run: 200 epochs over the 50,000 training images. */
export const PAPER_EPOCHS = 200;
export const PAPER_TRAIN_IMAGES = 50_000;

export interface PaperResult {
  name: string;
  /** test accuracy, 0..1 (100% minus the published error) */
  testAccuracy: number;
  params: number;
  /** training FLOPs of the whole 200-epoch run; null where the net is not a WRN this playground can cost */
  trainFlops: number | null;
}

const wrn = (depth: number, width: number, dropout: number, errorPercent: number): PaperResult => {
  const m: ModelConfig = { depth, width, dropout };
  return {
    name: modelName(m),
    testAccuracy: 1 - errorPercent / 100,
    params: wrnCost(m).params,
    trainFlops: PAPER_EPOCHS * PAPER_TRAIN_IMAGES * trainFlopsPerImage(m),
  };
};

/** Table 5 of the paper (CIFAR-10, standard augmentation), thin-deep pre-act ResNets first. */
export const PAPER_RESULTS: readonly PaperResult[] = [
  { name: 'pre-act ResNet-164', testAccuracy: 1 - 5.46 / 100, params: 1.7e6, trainFlops: null },
  { name: 'pre-act ResNet-1001', testAccuracy: 1 - 4.92 / 100, params: 10.2e6, trainFlops: null },
  wrn(16, 4, 0, 5.02),
  wrn(40, 4, 0, 4.53),
  wrn(16, 8, 0, 4.27),
  wrn(28, 10, 0, 4.0),
  wrn(28, 10, 0.3, 3.89),
];
