/**
 * A Python that imports torch, for the tests of the PyTorch export (and anything else that runs train.py).
 * Debian's python3-torch lives under /usr/bin/python3, which a pyenv or venv `python3` on the PATH does not see,
 * so that one comes first. WRN_PYTHON names another.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { findTorch } from './bench/pytorch';

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
