// The shape of one command of the `slatelab` program: a file per command in this folder (and
// bench/command.ts), assembled by the program in cli.ts and parsed by lab/cli/main.ts. A command
// declares its words and options, and its handler gets the parsed arguments and where to write.
import type { Argv } from 'yargs';
import type { Registries } from '../config/registries.ts';
import type { Io } from './io.ts';

export interface CommandContext {
  readonly io: Io;
  /** Where kinds are looked up (tests inject their own). */
  readonly registries: Registries;
  readonly verbose: boolean;
}

export interface Command {
  /** yargs' command string: the name, then its positionals (`run <config>`). */
  readonly usage: string;
  readonly describe: string;
  /** Its options and positionals. */
  readonly options: (yargs: Argv) => Argv;
  /** What to say when a positional is missing (`run: name an experiment config, e.g. ...`). */
  readonly missing?: string;
  /** The exit code: 0 done, 1 failed work, 2 the user's to fix (throw a UsageError for that). */
  readonly run: (args: Readonly<Record<string, unknown>>, context: CommandContext) => Promise<number> | number;
}

/** The command's name: the first word of its usage. */
export const commandName = (command: Command): string => command.usage.split(' ')[0];
