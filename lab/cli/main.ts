// The command line: `slatelab <command>`, one file per command in this folder (bench's in
// bench/command.ts; the program in cli.ts at the top assembles them). User input is checked here,
// at the edge; every error is one line `slatelab: <message>` on stderr (exit 2 for bad input, 1 for
// failed runs), and stack traces appear only with --verbose.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import { defaultRegistries, type Registries } from '../config/registries.ts';
import { packageRoot } from '../store/package-root.ts';
import { calibrateCommand } from './calibrate.ts';
import { type Command, commandName } from './command.ts';
import { compareCommand } from './compare.ts';
import { reportError, UsageError } from './errors.ts';
import { type Io, processIo } from './io.ts';
import { listCommand } from './list.ts';
import { newPolicyCommand } from './new-policy.ts';
import { reportCommand } from './report.ts';
import { resumeCommand } from './resume.ts';
import { runCommand } from './run.ts';
import { tryCommand } from './try.ts';
import { evaluateCommand } from './evaluate.ts';
import { obpSyntheticCommand } from './obp-synthetic.ts';
import { mergeCommand } from './merge.ts';
import { slurmCommand } from './slurm.ts';
import { kubernetesCommand } from './kubernetes.ts';

/** The lab's commands, in the order --help lists them (the program adds bench's after list). */
export const LAB_COMMANDS: readonly Command[] = [
  runCommand,
  resumeCommand,
  reportCommand,
  compareCommand,
  listCommand,
  calibrateCommand,
  newPolicyCommand,
  tryCommand,
  evaluateCommand,
  obpSyntheticCommand,
  mergeCommand,
  slurmCommand,
  kubernetesCommand,
];

const version = (
  JSON.parse(readFileSync(join(packageRoot(import.meta.url), 'package.json'), 'utf8')) as { version: string }
).version;

/** Parses `argv` and runs the command it names; resolves to the exit code. */
export async function main(
  argv: readonly string[],
  io: Io = processIo,
  registries: Registries = defaultRegistries,
  commands: readonly Command[] = LAB_COMMANDS,
): Promise<number> {
  let exitCode = 0;
  let verbose = argv.includes('--verbose');
  let parser = yargs([...argv])
    .scriptName('slatelab')
    .usage('$0 <command> [options]');
  for (const command of commands) {
    parser = parser.command(command.usage, command.describe, command.options, async (args) => {
      try {
        exitCode = await command.run(args, { io, registries, verbose });
      } catch (error) {
        exitCode = reportError(error, io, verbose);
      }
    });
  }
  const names = commands.map(commandName);
  const nameList = `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
  parser = parser
    .option('verbose', { type: 'boolean', default: false, describe: 'show stack traces with errors' })
    .demandCommand(1, `name a command: ${nameList} (slatelab --help shows them)`)
    .strict()
    .help()
    .alias('h', 'help')
    .version(version)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((message, error) => {
      // Our own handlers' errors arrive here too; usage problems are one line (naming --help) and exit 2.
      if (error && !message) throw error;
      throw new UsageError(usageMessage(message ?? error.message, argv, commands));
    });
  try {
    const args = await parser.parseAsync();
    verbose = args.verbose === true;
  } catch (error) {
    return reportError(error, io, verbose);
  }
  return exitCode;
}

/** yargs' usage messages in this CLI's words: what is wrong and what to type instead. */
function usageMessage(message: string, argv: readonly string[], commands: readonly Command[]): string {
  const names = commands.map(commandName);
  // The command: a known one wherever it stands (options may come first), else the first word.
  const command = argv.find((arg) => names.includes(arg)) ?? argv.find((arg) => !arg.startsWith('-'));
  if (command !== undefined && !names.includes(command) && message.startsWith('Unknown argument')) {
    return `unknown command "${command}"; commands: ${names.join(', ')} (slatelab --help shows them)`;
  }
  if (message.startsWith('Not enough non-option arguments')) {
    const missing = commands.find((c) => commandName(c) === command)?.missing;
    if (missing) return missing;
  }
  const unknown = /^Unknown arguments?: (.*)$/.exec(message);
  if (unknown) {
    const help = `slatelab${command ? ` ${command}` : ''} --help`;
    const names = unknown[1].split(', ');
    // yargs names options without their dashes (and --no-x as x, -xy as x and y): the names
    // typed with dashes are options, the others stray words.
    const typed = (name: string): string | undefined =>
      name.length === 1
        ? argv.find((arg) => /^-[A-Za-z]+$/.test(arg) && arg.includes(name)) && `-${name}`
        : argv.map((arg) => arg.replace(/=.*$/, '')).find((arg) => arg === `--${name}` || arg === `--no-${name}`);
    const options = names.filter((name) => typed(name) !== undefined).map((name) => typed(name)!);
    const words = names.filter((name) => !typed(name));
    if (options.length > 0) return `unknown option ${options.join(', ')}; ${help} lists the options`;
    return (
      `unexpected argument ${words.map((word) => `"${word}"`).join(', ')}; ${help} shows what ` +
      `${command ?? 'slatelab'} takes`
    );
  }
  return message;
}
