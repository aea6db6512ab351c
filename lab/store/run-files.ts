// Saving a finished run: its learning curve, its agent (what it learned), the world's run metrics
// and its records, each written atomically, the records last: a run whose records are on disk has
// all its files (resume relies on it).
import { join } from 'node:path';
import type { AgentConfig, ExperimentConfig } from '../config/config.ts';
import type { RunResult } from '../loop/agent-run.ts';
import { writeBinaryAtomic, writeFileAtomic } from './atomic.ts';
import type { RunEntry } from './manifest.ts';
import { curveJsonl, episodeJsonl, runMetricsJson, type RecordNames } from './run-records.ts';
import { savedAgentPath, savedAgentText, type SavedAgentMeta } from './saved-agent-file.ts';

export interface SavedRun {
  /** The manifest's entry for it, but for what is read from its records (episodes, truncatedEpisodes). */
  readonly files: Pick<RunEntry, 'file' | 'curveFile' | 'agentFile' | 'runMetricsFile' | 'logFile'>;
  /** The text written, for the summary to read without reading the files back. */
  readonly recordsText: string;
  readonly curveText: string | null;
  readonly runMetricsText: string | null;
}

/**
 * Writes the files of `agent`'s run on `seed` under `outDir`. `networks` is the backend and
 * TensorFlow.js version, saved with an agent that has networks.
 */
export function saveRunFiles(
  outDir: string,
  config: ExperimentConfig,
  agent: AgentConfig,
  seed: number,
  result: RunResult,
  names: RecordNames,
  networks: SavedAgentMeta['networks'],
): SavedRun {
  const { episodes: records, curve, totals, state, runMetrics } = result;
  const file = join('runs', agent.name, `seed-${seed}.jsonl`);
  const curveFile = curve ? join('runs', agent.name, `seed-${seed}.curve.jsonl`) : null;
  // Only in worlds with run metrics: elsewhere a run's files are what they were before they existed.
  const runMetricsFile = runMetrics ? join('runs', agent.name, `seed-${seed}.run-metrics.json`) : null;
  const agentFile = state ? savedAgentPath(agent.name, seed) : null;
  const curveText = curve && curveFile ? curveJsonl(curve, totals) : null;
  if (curveText !== null && curveFile) writeFileAtomic(join(outDir, curveFile), curveText);
  if (state && agentFile) {
    const meta: SavedAgentMeta = {
      experiment: config.name,
      agent: agent.name,
      kind: agent.kind,
      params: agent.params,
      world: config.world,
      experimentSeed: config.seed,
      seed,
      trainedSteps: totals?.steps ?? 0,
      startedFrom: agent.init ? { from: agent.init.from, agent: agent.init.agent } : null,
      networks,
    };
    writeFileAtomic(join(outDir, agentFile), savedAgentText(meta, state));
  }
  const logFile = result.log ? join('runs', agent.name, `seed-${seed}.log`) : null;
  if (result.log && logFile) writeBinaryAtomic(join(outDir, logFile), result.log);
  const runMetricsText = runMetrics ? runMetricsJson(runMetrics) : null;
  if (runMetricsText !== null && runMetricsFile) writeFileAtomic(join(outDir, runMetricsFile), runMetricsText);
  const recordsText = episodeJsonl(records, names);
  writeFileAtomic(join(outDir, file), recordsText);
  return {
    files: {
      file,
      ...(curveFile ? { curveFile } : {}),
      ...(agentFile ? { agentFile } : {}),
      ...(runMetricsFile ? { runMetricsFile } : {}),
      ...(logFile ? { logFile } : {}),
    },
    recordsText,
    curveText,
    runMetricsText,
  };
}
