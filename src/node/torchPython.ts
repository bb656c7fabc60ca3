/**
 * A Python that imports torch: for the tests of the PyTorch export (and anything else that runs train.py) and the
 * benchmark's PyTorch reference (cli/bench/pytorch.ts). Debian's python3-torch lives under /usr/bin/python3, which a
 * pyenv or venv `python3` on the PATH does not see, so that one comes first for the tests. WRN_PYTHON names another.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { messageOf } from '../core/errors';

export interface TorchPython {
  python: string;
  torch: string;
  /** the command that runs torch.distributed.run: torchrun beside the python, else `python -m torch.distributed.run` */
  torchrun: string[];
}

export async function findTorchPython(env: NodeJS.ProcessEnv = process.env): Promise<TorchPython | { reason: string }> {
  const asked = env['WRN_PYTHON'];
  const found = await findTorch(asked ? [asked] : ['/usr/bin/python3', 'python3']);
  if ('reason' in found) return found;
  const beside = path.join(path.dirname(found.python), 'torchrun');
  const torchrun = path.isAbsolute(found.python) && existsSync(beside) ? [beside] : [found.python, '-m', 'torch.distributed.run'];
  return { ...found, torchrun };
}

/**
 * torchrun for `nproc` ranks on this machine (rendezvous on localhost), with `--redirects 1 --tee 1`: PyTorch 1.13 on
 * Python 3.11 (Debian bookworm) misparses torchrun's defaults for those two.
 */
export function localTorchrun(found: TorchPython, nproc: number): string[] {
  return [...found.torchrun, '--standalone', `--nproc_per_node=${nproc}`, '--redirects', '1', '--tee', '1'];
}

/** Runs a Python (or any program) to the end; rejects with its first error line and the last lines of its stderr. */
export function runPython(file: string, args: string[], timeoutS: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutS * 1000, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => {
      if (err) {
        const last = stderr.trim().split('\n').slice(-2).join(' | ');
        reject(new Error(`${err.message.split('\n')[0]}${last ? `: ${last}` : ''}`));
      } else resolve({ stdout, stderr });
    });
  });
}

const found = new Map<string, Promise<{ python: string; torch: string } | { reason: string }>>();

/** The first candidate that imports torch, with torch's version; or why none did (asked once per candidate list). */
export function findTorch(candidates: string[]): Promise<{ python: string; torch: string } | { reason: string }> {
  const key = candidates.join('\n');
  if (!found.has(key)) found.set(key, probeTorch(candidates));
  return found.get(key)!;
}

async function probeTorch(candidates: string[]): Promise<{ python: string; torch: string } | { reason: string }> {
  const why: string[] = [];
  for (const python of candidates) {
    try {
      const { stdout } = await runPython(python, ['-c', 'import torch; print(torch.__version__)'], 60);
      return { python, torch: stdout.trim() };
    } catch (err) {
      why.push(`${python}: ${messageOf(err)}`);
    }
  }
  return { reason: `no Python here imports torch (${why.join('; ')}); on Debian: apt-get install python3-torch` };
}
