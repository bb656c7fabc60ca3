/**
 * The headless entry: `npm run -s wrn -- <command> [args]`. Every command runs the same core as the page.
 * Each command prints machine-readable JSON on stdout; messages for people go to stderr.
 * Exit codes: 0 success, 1 runtime failure (bad data, training error), 2 bad usage or bad config (train: 143 or
 * 129 after a graceful stop on SIGTERM or SIGHUP, 130 for a second Ctrl-C).
 */
import { COMMANDS, usage, wantsHelp } from './commands';
import { messageOf } from '../src/core/errors';
import { guardTerminal } from './terminal';

// Before anything is written: no control character from input reaches the terminal (cli/terminal.ts).
guardTerminal();

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  // `help train` reads as `train --help`.
  if (name === 'help' && args[0] && COMMANDS[args[0]]) return main([args[0], '--help']);
  const command = name ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(usage());
    return name === undefined || name === 'help' || name === '--help' || name === '-h' ? 0 : 2;
  }
  // Help goes to stdout (it is what was asked for) and is answered here, so every command has it and none runs.
  if (wantsHelp(args)) {
    process.stdout.write(command.help);
    return 0;
  }
  return command.run(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${messageOf(err)}\n`);
    process.exitCode = 1;
  },
);
