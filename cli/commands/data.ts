/**
 * `data [file-or-folder]`: checks CIFAR-10 binary data by parsing all of it, and prints one JSON object:
 * {"records":9000,"perClass":[10 counts],"train":{...},"test":{...},"files":[{"name","split","records","perClass"}]}.
 * Without a path: $CIFAR10_DIR, else the built-in sample (said on stderr).
 * Bad data: exit 1 with one line `error: ...` on stderr. Extra arguments: exit 2 with the usage.
 */
import { parseCifarStream } from '../../src/core/data/cifarStream';
import { readMembers } from '../../src/core/data/inputs';
import type { Split } from '../../src/core/data/tarball';
import type { CifarInput } from '../../src/core/data/inputs';
import { cifarInputsFromPath, localDataSource } from '../../src/node/localData';
import type { Command } from './index';
import { messageOf } from '../../src/core/errors';

/** Record counts of a split or file. */
export interface Counts {
  records: number;
  /** [10] records per class */
  perClass: number[];
}

export interface DataSummary extends Counts {
  train: Counts;
  test: Counts;
  /** each CIFAR-10 binary stream found (a file, or an archive's member), in reading order */
  files: (Counts & { name: string; split: Split })[];
}

/** Parses every record at `target` (a folder, a .bin, or a .tar.gz) and counts them. Throws on bad data. */
export async function summarizeCifar(target: string): Promise<DataSummary> {
  return summarizeInputs(await cifarInputsFromPath(target));
}

/** Parses every record of the loader inputs (a folder's files, the built-in sample) and counts them. */
export async function summarizeInputs(inputs: readonly CifarInput[]): Promise<DataSummary> {
  const empty = (): Counts => ({ records: 0, perClass: new Array<number>(10).fill(0) });
  const total = empty();
  const splits: Record<Split, Counts> = { train: empty(), test: empty() };
  const files: DataSummary['files'] = [];
  const signal = new AbortController().signal;
  for (const input of inputs) {
    for await (const member of readMembers(input, signal)) {
      const counts = { name: member.name, split: member.split, ...empty() };
      for await (const batch of parseCifarStream(member.stream, { name: member.name, expectedBytes: member.bytes })) {
        for (const label of batch.labels) {
          for (const c of [counts, splits[member.split], total]) c.perClass[label]!++;
        }
        for (const c of [counts, splits[member.split], total]) c.records += batch.count;
      }
      files.push(counts);
    }
  }
  return { ...total, train: splits.train, test: splits.test, files };
}

export const data: Command = {
  summary: 'data [file-or-folder]   parse CIFAR-10 binary data and count records per class (JSON)',
  help: `usage: npm run -s wrn -- data [file-or-folder]

Parses every record of CIFAR-10 binary data (.bin files, a folder of them, or cifar-10-binary.tar.gz) and prints
the counts per split, class and file as one JSON object. Without a path: $CIFAR10_DIR, else the built-in sample.

examples:
  npm run -s wrn -- data
  npm run -s wrn -- data ~/Downloads/cifar-10-binary.tar.gz
`,
  async run(args) {
    const [target, ...rest] = args;
    if (rest.length || target?.startsWith('-')) {
      process.stderr.write('usage: npm run -s wrn -- data [file-or-folder]   (.bin files, a folder of them, or cifar-10-binary.tar.gz)\n');
      return 2;
    }
    try {
      const source = localDataSource(target, 'auto', {
        onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
        onWait: (m) => process.stderr.write(`data: ${m}\n`),
      });
      if (source.note) process.stderr.write(`data: ${source.note}\n`);
      process.stdout.write(JSON.stringify(await summarizeInputs(await source.inputs())) + '\n');
      return 0;
    } catch (err) {
      // One line, whatever the message holds.
      const message = messageOf(err).replace(/\s+/g, ' ');
      process.stderr.write(`error: ${message}\n`);
      return 1;
    }
  },
};
