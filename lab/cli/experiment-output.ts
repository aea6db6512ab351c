// What `run` and `resume` share: progress on stderr, Ctrl-C handling, and the closing lines.
import { join } from 'node:path';
import type { ExperimentConfig } from '../config/config.ts';
import { fitLine } from '../run/progress.ts';
import type { ExperimentOutcome, Progress } from '../run/runner.ts';
import { summaryText } from '../report/tables.ts';
import type { Io } from './io.ts';

/** Progress on stderr: one live line rewritten on a terminal, plain lines otherwise. */
export function progressTo(io: Io): Progress {
  // The live line is cut to the terminal's width: a wrapped line would leave its first rows behind.
  // A terminal whose size is not set says 0 columns: 80 then.
  const width = () => Math.max(20, (process.stderr.columns || 80) - 1);
  return io.stderrIsTTY
    ? {
        line: (text) => io.stderr(`\r\x1b[K${text}\n`),
        update: (text) => io.stderr(`\r\x1b[K${fitLine(text, width())}`),
      }
    : { line: (text) => io.stderr(`${text}\n`) };
}

/**
 * Runs `work` with Ctrl-C (and SIGTERM) handled: once, stop starting runs, stop the workers and
 * summarise the runs that finished; twice, quit at once (the finished runs' records and the
 * manifest are on disk already).
 */
export async function withInterrupt<T>(io: Io, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const interrupt = new AbortController();
  const onInterrupt = (signal: NodeJS.Signals) => {
    if (interrupt.signal.aborted) process.exit(130);
    const again = signal === 'SIGINT' ? 'Ctrl-C again' : `${signal} again`;
    io.stderr(`\nslatelab: interrupted; writing the summary of the runs that finished (${again} to quit now)\n`);
    interrupt.abort();
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  try {
    return await work(interrupt.signal);
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
}

/** What `run` and `resume` print at the end, and their exit code. */
export function finishCommand(
  outcome: ExperimentOutcome,
  config: ExperimentConfig,
  io: Io,
  runs = config.agents.length * config.seeds.length,
): number {
  const outDir = outcome.outDir;
  io.stdout(
    `\nresults: ${outDir} (open ${join(outDir, 'report.html')} in a browser, or read ` +
      `${join(outDir, 'report.md')})\n\n${summaryText(outcome.summary)}`,
  );
  if (outcome.truncatedEpisodes > 0) {
    io.stderr(
      `slatelab: warning: ${outcome.truncatedEpisodes} episodes were cut at evaluation.maxStepsPerEpisode ` +
        `(${config.evaluation.maxStepsPerEpisode} steps) before the world ended them; raise it if ` +
        `they should run to the end\n`,
    );
  }
  if (outcome.cutTrainingEpisodes > 0) {
    io.stderr(
      `slatelab: warning: ${outcome.cutTrainingEpisodes} training episodes were cut at evaluation.maxStepsPerEpisode ` +
        `(${config.evaluation.maxStepsPerEpisode} steps) before the world ended them; raise it if ` +
        `they should run to the end\n`,
    );
  }
  if (outcome.failures.length > 0) {
    io.stderr(
      `slatelab: ${outcome.failures.length} of ${runs} runs failed; see ${outDir}/manifest.json ` +
        `(failures); slatelab resume ${outDir} runs them again\n`,
    );
  }
  if (outcome.interrupted.length > 0) {
    const finishedRuns = runs - outcome.interrupted.length - outcome.failures.length;
    io.stderr(
      `slatelab: interrupted: ${finishedRuns} of ${runs} runs finished; the summary covers them ` +
        `(${outDir}); slatelab resume ${outDir} finishes the rest\n`,
    );
    return 130;
  }
  return outcome.failures.length > 0 ? 1 : 0;
}
