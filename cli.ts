// The `slatelab` program: the lab's commands and the benchmarks' `bench`. bench/ sits above lab/
// (it measures it), so the two meet here, above both; bin/slatelab.js runs `program` with the
// process's arguments (from the build in dist/ when current, else these sources through tsx).
import { benchCommand } from './bench/command.ts';
import { defaultRegistries, type Registries } from './lab/config/registries.ts';
import type { Command } from './lab/cli/command.ts';
import { type Io, processIo } from './lab/cli/io.ts';
import { LAB_COMMANDS, main } from './lab/cli/main.ts';
import { listCommand } from './lab/cli/list.ts';

/** Every command, in the order --help lists them: bench's after list. */
export const COMMANDS: readonly Command[] = LAB_COMMANDS.flatMap((command) =>
  command === listCommand ? [command, benchCommand] : [command],
);

/** `slatelab ARGS...`: resolves to the exit code. */
export function program(
  argv: readonly string[],
  io: Io = processIo,
  registries: Registries = defaultRegistries,
): Promise<number> {
  return main(argv, io, registries, COMMANDS);
}
