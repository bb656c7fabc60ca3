/**
 * The PyTorch export's template, with no Python: the generated module is train_template.py as it is, an export
 * changes nothing in it but the config block, and its metrics.jsonl lines are the core's format
 * (src/core/metricsFile.ts). pytorch.torch.test.ts runs the exported script against tfjs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../test/fixtures/data';
import { DEFAULT_CONFIG, type Config } from '../config';
import type { EvalPoint } from '../metrics';
import { BLOCK_FIELDS, decodeLine, decodeMetricsFile, encodeLine, EVAL_FIELDS, LINE_FIELDS, STEP_FIELDS, SUMMARY_FIELDS } from '../metricsFile';
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

/** The template's metrics.jsonl field lists, as its LINE_FIELDS dict says them. */
function templateLineFields(): Record<string, string[]> {
  const literal = /^LINE_FIELDS = (\{\n[\s\S]*?\n\})$/m.exec(TRAIN_TEMPLATE)?.[1];
  expect(literal, 'train_template.py defines LINE_FIELDS').toBeDefined();
  return JSON.parse(literal!.replace(/,(\s*[}\]])/g, '$1')) as Record<string, string[]>;
}

/** A line as the template's metrics_line() makes it: "model", "kind", then its kind's fields in the template's order. */
function templateLine(kind: string, fields: readonly string[]): Record<string, unknown> {
  const evalPoint: EvalPoint = {
    kind: 'eval',
    step: 4,
    epoch: 0.5,
    testLoss: 2.1,
    testAccuracy: 0.3,
    testImages: 50,
    confusion: Array.from({ length: 100 }, (_, i) => i % 3),
    seconds: 9.5,
    flops: 3e9,
  };
  const lists: Record<string, unknown> = {
    blocks: ['g1b1', 'g2b1', 'g3b1'],
    residualRatio: [0.5, 0.25, 0.75],
    layers: ['conv1', 'g1b1_conv1'],
    weightNorm: [3.5, 4.5],
    gradNorm: [0.125, 0.0625],
  };
  const value = (f: string, i: number): unknown =>
    f === 'confusion'
      ? evalPoint.confusion
      : f === 'status'
        ? 'finished'
        : f === 'finalEval'
          ? evalPoint
          : f in lists
            ? lists[f]
            : kind === 'summary'
              ? i + 0.5
              : i + 1.25;
  return { model: 'WRN-16-4', kind, ...Object.fromEntries(fields.map((f, i) => [f, value(f, i)])) };
}

describe("train.py's metrics.jsonl against the core's format (src/core/metricsFile.ts)", () => {
  it("lists each kind of line with the core's fields, in the core's order", () => {
    expect(templateLineFields()).toEqual(LINE_FIELDS);
    expect({ step: STEP_FIELDS, eval: EVAL_FIELDS, blocks: BLOCK_FIELDS, summary: SUMMARY_FIELDS }).toEqual(LINE_FIELDS);
  });

  it('writes every line through metrics_line, one of each kind', () => {
    // A line emitted another way could hold other fields than LINE_FIELDS says.
    expect([...TRAIN_TEMPLATE.matchAll(/(?<!def )\bemit\(([^\n]*)/g)].map((m) => m[1]!.replace(/^metrics_line\(name, "(\w+)".*/, '$1'))).toEqual([
      'step',
      'eval',
      'blocks',
      'summary',
    ]);
  });

  it('its lines decode through the core reader with every field, and encode back to the same object', () => {
    const lines = Object.entries(templateLineFields()).map(([kind, fields]) => templateLine(kind, fields));
    for (const line of lines) {
      const text = JSON.stringify(line);
      expect(encodeLine(decodeLine(text, 'line 1'))).toBe(`${text}\n`);
    }
    const [run] = decodeMetricsFile(lines.map((l) => JSON.stringify(l)).join('\n'));
    const summary = lines.find((l) => l['kind'] === 'summary')!;
    expect(run).toMatchObject({ name: 'WRN-16-4', params: 2_748_890, summary: { status: 'finished', finalEval: summary['finalEval'] } });
    expect(run!.steps).toHaveLength(1);
    expect(run!.evals).toHaveLength(1);
    expect(run!.blocks).toHaveLength(1);
    expect(run).not.toHaveProperty('seed');
  });
});
