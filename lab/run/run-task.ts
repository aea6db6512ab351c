// What a worker thread runs for one (agent, seed) run (lab/run/runner.ts names this module in each
// task). It imports only what a run needs: no charts, no reports, so a worker starts quickly.
import type { ExperimentConfig } from '../config/config.ts';
import { defaultRegistries, type Registries } from '../config/registries.ts';
import { runAgentSeed, type RunProgress, type RunResult } from '../loop/agent-run.ts';

/**
 * One (agent, seed) run, by agent index: what a worker thread executes. It looks the world and
 * agent up in `registries` (the default ones in a worker).
 */
export async function runOne(
  config: ExperimentConfig,
  agentIndex: number,
  seed: number,
  registries: Registries = defaultRegistries,
  report?: (progress: RunProgress) => void,
): Promise<RunResult> {
  await prepareBackend(config, agentIndex, registries);
  return timedRun(() => runAgentSeed(config, agentIndex, seed, registries, report));
}

/**
 * The run's result with its wall time in its thread (RunResult.seconds: the bench's overhead figure; never written).
 */
function timedRun(run: () => RunResult): RunResult {
  const start = performance.now();
  const result = run();
  return { ...result, seconds: (performance.now() - start) / 1000 };
}

/**
 * runOne as a worker thread runs it: the default registries with the config's path kinds (kind ->
 * file, lab/config/user-kinds.ts), imported in this thread; `report` is the pool's progress callback.
 */
export async function runOneReporting(
  config: ExperimentConfig,
  agentIndex: number,
  seed: number,
  userKinds: Readonly<Record<string, string>>,
  report?: (progress: RunProgress) => void,
): Promise<RunResult> {
  const registries =
    Object.keys(userKinds).length === 0
      ? defaultRegistries
      : await (await import('../config/user-kinds.ts')).workerRegistries(userKinds);
  await prepareBackend(config, agentIndex, registries);
  return timedRun(() => runAgentSeed(config, agentIndex, seed, registries, report));
}

/** Loads the config's neural-network backend in this thread when the agent has networks (loaded once per thread). */
async function prepareBackend(config: ExperimentConfig, agentIndex: number, registries: Registries): Promise<void> {
  const kind = config.agents[agentIndex].kind;
  if (!registries.agents?.[kind]?.nets) return;
  const { useBackend } = await import('../../agents/nets/backend.ts');
  await useBackend(config.backend);
}
