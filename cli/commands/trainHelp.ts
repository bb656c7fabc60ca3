/** `train --help`, kept apart from train.ts so the command's code and its help can change without conflicts. */
import { BACKENDS } from '../../src/core/config';

export const TRAIN_HELP = `usage: npm run -s wrn -- train '<config>' [flags]

Trains the configured net(s) with the page's trainer and prints one JSON object per metrics point (JSON Lines).
<config> is the page's URL hash (depth=16&width=4&epochs=5...; see the README's URL table).

flags:
  --data PATH      CIFAR-10 .bin files, a folder of them, or cifar-10-binary.tar.gz (default: the config's
                   data= URL, else $CIFAR10_DIR, else the built-in sample: 2,000 train and 1,000 test images)
  --steps N        stop each net at its step N, counted from its start, also with --resume: a run resumed
                   at step 40 with --steps 100 trains 60 more (--steps 40 or less is refused)
  --out DIR        write config.json, metrics.jsonl, checkpoint.bin and the trained weights (model.json +
                   weights.bin); refuses a folder that holds a run
  --overwrite      with --out: replace the run in that folder
  --resume DIR     go on with the run an --out DIR wrote (its config.json and checkpoint.bin)
  --backend B      ${BACKENDS.join(', ')} (overrides the config's backend)
  --lenient        accept a config that needed corrections (else exit 2)
  --help           this text

Exit codes: 0 done (or stopped by Ctrl-C), 1 bad data or training failure, 2 bad usage or config.

examples:
  npm run -s wrn -- train 'depth=10&width=1&batch=32&epochs=3&lr=0.05&train=2000&test=1000' --out runs/a
  npm run -s wrn -- train 'depth=16&width=4&epochs=5' --data ../cifar-10-binary.tar.gz --out runs/b
  npm run -s wrn -- train --resume runs/b
  npm run -s wrn -- train --resume runs/b --steps 500   # on to step 500 of runs/b, not 500 more
`;
