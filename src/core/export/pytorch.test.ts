/**
 * The PyTorch export's template, with no Python: the generated module is train_template.py as it is, and an export
 * changes nothing in it but the config block. pytorch.torch.test.ts runs the exported script against tfjs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../test/fixtures/data';
import { DEFAULT_CONFIG, type Config } from '../config';
import { decodeConfig } from '../url';
import { exportPytorch, trainScript } from './pytorch';
import { TRAIN_TEMPLATE } from './trainTemplate.generated';

describe('the train.py template', () => {
  it('the generated module holds train_template.py as it is (npm run gen:train-template after editing it)', () => {
    expect(TRAIN_TEMPLATE).toBe(readFileSync(path.join(REPO_ROOT, 'src/core/export/train_template.py'), 'utf8'));
  });

  it("the template's config block is the page's defaults: exporting them gives the template back", () => {
    expect(trainScript({ ...DEFAULT_CONFIG, compare: [] })).toBe(TRAIN_TEMPLATE);
  });

  it('an export writes its config into train.py and config.json, and nothing else changes', () => {
    const { config } = decodeConfig('depth=28&width=10&dropout=0.3&epochs=200&schedule=cosine&warmup=1&compare=40-4');
    const [py, json] = exportPytorch(config).files;
    const doc = JSON.parse(json!.text) as { url: string; config: Config };
    expect(doc.config).toEqual(config);
    expect(doc.url).toContain('depth=28&width=10&dropout=0.3');
    expect(py!.text).toContain(`"url": "${doc.url}"`);
    const strip = (s: string) => s.replace(/CONFIG = json\.loads\(r"""[\s\S]*?"""\)/, '');
    expect(strip(py!.text)).toBe(strip(TRAIN_TEMPLATE));
  });
});
