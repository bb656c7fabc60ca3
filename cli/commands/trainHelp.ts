/** `train --help`, kept apart from train.ts so the command's code and its help can change without conflicts. */
import { BACKENDS } from '../../src/core/config';
import { CONFIG_FILE_HELP } from '../configArg';

export const TRAIN_HELP = `usage: npm run -s wrn -- train '<config>' [flags]

Trains the configured net(s) with the page's trainer and prints one JSON object per metrics point (JSON Lines).
<config> is the page's URL hash (depth=16&width=4&epochs=5...; see the README's URL table).

flags:
  --data PATH      CIFAR-10 .bin files, a folder of them, or cifar-10-binary.tar.gz (default: the config's
                   data= URL, else $CIFAR10_DIR, else the built-in sample: 2,000 train and 1,000 test images)
  --steps N        stop each net at its step N, counted from its start, also with --resume: a run resumed
                   at step 40 with --steps 100 trains 60 more (--steps 40 or less is refused)
  --out DIR        write config.json, metrics.jsonl, checkpoint.bin and the trained weights (model.json +
                   weights.bin); refuses a folder that holds a run, or that another wrn train is writing
  --overwrite      with --out: replace the run in that folder
  --resume DIR     go on with the run an --out DIR wrote (its config.json and checkpoint.bin); refused, with
                   what differs, when the checkpoint, config.json or metrics.jsonl are of another run
  --backend B      ${BACKENDS.join(', ')} (overrides the config's backend)
  --lenient        accept a config that needed corrections (else exit 2)
${CONFIG_FILE_HELP.trimEnd()}
  --help           this text

A net whose training memory (wrn info's trainingBytes) exceeds what the backend holds is refused before the data
loads, with a batch that fits. Ctrl-C, SIGTERM and SIGHUP stop after the current step and save (checkpoint and
weights); a second one quits at once.
Exit codes: 0 done (or stopped by Ctrl-C); 143 or 129 saved after SIGTERM or SIGHUP (the run can --resume);
130 a second Ctrl-C; 1 bad data or training failure; 2 bad usage, config, run folder or checkpoint, or a net too
big for the backend.

examples:
  npm run -s wrn -- train 'depth=10&width=1&batch=32&epochs=3&lr=0.05&train=2000&test=1000' --out runs/a
  npm run -s wrn -- train 'depth=16&width=4&epochs=5' --data ../cifar-10-binary.tar.gz --out runs/b
  npm run -s wrn -- train --resume runs/b
  npm run -s wrn -- train --resume runs/b --steps 500   # on to step 500 of runs/b, not 500 more
`;
