/** The run folder: when it is refused, and that what it writes is whole or absent, never half there. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { holdsRun, isRunEntry, LOCK_FILE, openRunDir, RunDirError } from './runDir';

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
    const fresh = openRunDir(path.join(scratch, 'fresh', 'deep'));
    expect(fresh.mode).toBe('new');
    fresh.release();
    expect(existsSync(path.join(scratch, 'fresh'))).toBe(false); // a run that never began leaves nothing on disk
    const dir = previousRun();
    expect(holdsRun(dir)).toBe(true);
    expect(() => openRunDir(dir)).toThrow(RunDirError);
    expect(() => openRunDir(dir)).toThrow(/already holds a run \(config\.json, metrics\.jsonl\); pass --resume .* --overwrite/);
    const over = openRunDir(dir, 'overwrite');
    expect(over.mode).toBe('overwrite');
    over.release();
    const resume = openRunDir(dir, 'resume');
    expect(resume.mode).toBe('resume');
    resume.release();
    expect(readdirSync(dir)).not.toContain(LOCK_FILE);
    expect(() => openRunDir(path.join(scratch, 'fresh'), 'resume')).toThrow(/holds no run to resume/);
    writeFileSync(path.join(scratch, 'a-file'), '');
    expect(() => openRunDir(path.join(scratch, 'a-file'))).toThrow(/is not a folder/);
  });

  it("--overwrite replaces the run's entries only, at begin, and leaves no temporaries", () => {
    const dir = previousRun();
    const run = openRunDir(dir, 'overwrite');
    expect(readFileSync(path.join(dir, 'config.json'), 'utf8')).toBe('{"old":true}'); // nothing yet
    run.begin({ seed: 2 });
    expect(readdirSync(dir).sort()).toEqual([LOCK_FILE, 'config.json', 'metrics.jsonl', 'notes.md']); // the lock is not the run's: it stays
    expect(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'))).toEqual({ seed: 2 });
    expect(readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')).toBe('');
    run.release();
  });

  it('a resumed run keeps its config and metrics', () => {
    const dir = previousRun();
    const run = openRunDir(dir, 'resume');
    run.begin({ seed: 9 });
    run.release();
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
    run.release();
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
    run.release();
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('takes a lock: a second opening is refused while the first holds the folder, a lock whose process is gone is taken over', () => {
    const dir = previousRun();
    const first = openRunDir(dir, 'resume');
    const lock = JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(process.pid);
    for (const mode of ['resume', 'overwrite'] as const) {
      expect(() => openRunDir(dir, mode)).toThrow(new RegExp(`is in use by another wrn train \\(pid ${process.pid}, since .*\\); wait for it to end`));
    }
    expect(() => openRunDir(path.join(scratch, 'fresh-2'))).not.toThrow(); // other folders are free
    first.release();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    // A lock left by a process that is gone (killed, or the machine restarted): taken over.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: Number(gone), host: hostname(), since: 'earlier' }));
    const taken = openRunDir(dir, 'resume');
    expect(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    taken.release();
    // A torn or foreign lock file (no pid) is stale too.
    writeFileSync(path.join(dir, LOCK_FILE), 'garbage');
    openRunDir(dir, 'resume').release();
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it("knows a run's entries from a person's files", () => {
    for (const name of ['config.json', 'metrics.jsonl', 'summary.json', 'model', '0-WRN-16-4', 'checkpoint.bin', '.model.tmp-1-2']) {
      expect(isRunEntry(name), name).toBe(true);
    }
    for (const name of ['notes.md', 'config.json.bak', 'models', 'my-checkpoint.bin', 'data']) expect(isRunEntry(name), name).toBe(false);
  });
});
