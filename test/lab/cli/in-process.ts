// `slatelab ARGS...` run in this process (program in cli.ts, as bin/slatelab.js runs it), its
// output captured. The registries are the default ones but not the same object, so the runner runs
// its runs here, one after another, instead of on worker threads.
import { program } from '../../../cli.ts';
import type { Io } from '../../../lab/cli/io.ts';
import { defaultRegistries, type Registries } from '../../../lab/config/registries.ts';

export const inProcess: Registries = { ...defaultRegistries };

/** Runs the command; `onStderr` sees stderr so far after each write (to act mid-run, e.g. Ctrl-C). */
export async function slatelab(argv: string[], onStderr?: (text: string) => void) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    stdout: (text) => void out.push(text),
    stderr: (text) => {
      err.push(text);
      onStderr?.(err.join(''));
    },
    stderrIsTTY: false,
  };
  const code = await program(argv, io, inProcess);
  return { code, stdout: out.join(''), stderr: err.join('') };
}
