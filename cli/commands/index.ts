/** The CLI's commands, by name. A new command is one line here and one file beside this one. */
import { bench } from './bench';
import { data } from './data';
import { exportCommand } from './export';
import { info } from './info';
import { lesion } from './lesion';
import { train } from './train';

export interface Command {
  /** one line for the usage text */
  summary: string;
  /** `<command> --help`: what it does, its arguments and flags, and at least one example (ends with a newline) */
  help: string;
  /** runs with the arguments after the command name; resolves to the exit code */
  run(args: string[]): Promise<number>;
}

export const COMMANDS: Record<string, Command> = {
  info,
  data,
  train,
  lesion,
  bench,
  export: exportCommand,
};

export function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return (
    `usage: npm run -s wrn -- <command> [args]\n\ncommands:\n${lines.join('\n')}\n\n` +
    `npm run -s wrn -- <command> --help   (or: help <command>) for its flags and an example\n`
  );
}

/** True when the arguments ask for help: `--help` or `-h` anywhere (a config string never starts with "-"). */
export function wantsHelp(args: readonly string[]): boolean {
  return args.some((a) => a === '--help' || a === '-h');
}
