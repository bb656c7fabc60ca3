/** The run folder: when it is refused, and that what it writes is whole or absent, never half there. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { holdsRun, isRunEntry, openRunDir, RunDirError } from './runDir';

const scratch = mkdtempSync(path.join(tmpdir(), 'wrn-rundir-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let n = 0;
/** A fresh folder holding a finished run (config, metrics, a model) and a file of the person's own. */
function previousRun(): string {
  const dir = path.join(scratch, `run-${++n}`);
  mkdirSync(path.join(dir, 'model'), { recursive: true });
  writeFileSync(path.join(dir, 'config.json'), '{"old":true}');
  writeFileSync(path.join(dir, 'metrics.jsonl'), '{"step":1}\n');
  writeFileSync(path.join(dir, 'checkpoint.bin'), 'old');
  writeFileSync(path.join(dir, 'model', 'weights.bin'), 'old weights');
  writeFileSync(path.join(dir, 'notes.md'), 'mine');
  return dir;
}

describe('openRunDir', () => {
  it('takes a new or empty folder, and refuses one holding a run unless told to overwrite or resume', () => {
    expect(openRunDir(path.join(scratch, 'fresh', 'deep')).mode).toBe('new');
    expect(existsSync(path.join(scratch, 'fresh'))).toBe(false); // opening changes nothing on disk
    const dir = previousRun();
    expect(holdsRun(dir)).toBe(true);
    expect(() => openRunDir(dir)).toThrow(RunDirError);
    expect(() => openRunDir(dir)).toThrow(/already holds a run \(config\.json, metrics\.jsonl\); pass --resume .* --overwrite/);
    expect(openRunDir(dir, 'overwrite').mode).toBe('overwrite');
    expect(openRunDir(dir, 'resume').mode).toBe('resume');
    expect(() => openRunDir(path.join(scratch, 'fresh'), 'resume')).toThrow(/holds no run to resume/);
    writeFileSync(path.join(scratch, 'a-file'), '');
    expect(() => openRunDir(path.join(scratch, 'a-file'))).toThrow(/is not a folder/);
  });

  it("--overwrite replaces the run's entries only, at begin, and leaves no temporaries", () => {
    const dir = previousRun();
    const run = openRunDir(dir, 'overwrite');
    expect(readFileSync(path.join(dir, 'config.json'), 'utf8')).toBe('{"old":true}'); // nothing yet
    run.begin({ seed: 2 });
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'metrics.jsonl', 'notes.md']);
    expect(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'))).toEqual({ seed: 2 });
    expect(readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')).toBe('');
  });

  it('a resumed run keeps its config and metrics', () => {
    const dir = previousRun();
    openRunDir(dir, 'resume').begin({ seed: 9 });
    expect(readFileSync(path.join(dir, 'config.json'), 'utf8')).toBe('{"old":true}');
    expect(readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')).toBe('{"step":1}\n');
  });

  it('writes a folder whole: a failure while filling it leaves the old one as it was', () => {
    const dir = previousRun();
    const run = openRunDir(dir, 'resume');
    expect(() =>
      run.writeFolder('model', (tmp) => {
        writeFileSync(path.join(tmp, 'weights.bin'), 'half');
        throw new Error('disk full');
      }),
    ).toThrow('disk full');
    expect(readdirSync(path.join(dir, 'model'))).toEqual(['weights.bin']);
    expect(readFileSync(path.join(dir, 'model', 'weights.bin'), 'utf8')).toBe('old weights');
    run.writeFolder('model', (tmp) => {
      writeFileSync(path.join(tmp, 'weights.bin'), 'new weights');
      writeFileSync(path.join(tmp, 'model.json'), '{}');
    });
    expect(readdirSync(path.join(dir, 'model')).sort()).toEqual(['model.json', 'weights.bin']);
    expect(readFileSync(path.join(dir, 'model', 'weights.bin'), 'utf8')).toBe('new weights');
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('writes a file by rename, and sweeps what a killed run left under a temporary name', () => {
    const dir = previousRun();
    writeFileSync(path.join(dir, '.checkpoint.bin.tmp-999-1'), 'torn');
    const run = openRunDir(dir, 'resume');
    run.begin({});
    expect(existsSync(path.join(dir, '.checkpoint.bin.tmp-999-1'))).toBe(false);
    run.writeFile('checkpoint.bin', 'new');
    expect(readFileSync(path.join(dir, 'checkpoint.bin'), 'utf8')).toBe('new');
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it("knows a run's entries from a person's files", () => {
    for (const name of ['config.json', 'metrics.jsonl', 'summary.json', 'model', '0-WRN-16-4', 'checkpoint.bin', '.model.tmp-1-2']) {
      expect(isRunEntry(name), name).toBe(true);
    }
    for (const name of ['notes.md', 'config.json.bak', 'models', 'my-checkpoint.bin', 'data']) expect(isRunEntry(name), name).toBe(false);
  });
});
