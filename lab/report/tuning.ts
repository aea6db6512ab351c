// Tuning apart from reporting (config `tuning:`): every variant of a swept agent runs on every
// seed; at summary time each swept agent's best variant is chosen on the tuning seeds only, and
// the summary and reports show the chosen variant on the reporting seeds, which the choice never
// saw (choosing and reporting on the same seeds would flatter the tuned agent: its best of k
// draws). Fixed agents run on the tuning seeds too, and are reported on the reporting seeds.
import type { AgentConfig, ExperimentConfig } from '../config/config.ts';
import { mean, pairedDifferences } from '../../eval/stats.ts';
import type { AgentTuning, RunMeans, TuningSummary } from '../store/summary.ts';

/** The swept agents' variants, by swept agent, in config order. */
function sweptAgents(config: ExperimentConfig): Map<string, AgentConfig[]> {
  const swept = new Map<string, AgentConfig[]>();
  for (const agent of config.agents) {
    if (!agent.variant) continue;
    const variants = swept.get(agent.variant.agent) ?? [];
    variants.push(agent);
    swept.set(agent.variant.agent, variants);
  }
  return swept;
}

/** Each swept agent's best variant by the tuning metric on the tuning seeds (the best mean; the first on a tie). */
export function chooseVariants(config: ExperimentConfig, runMeans: RunMeans): TuningSummary | null {
  const tuning = config.tuning;
  if (!tuning) return null;
  const agents: Record<string, AgentTuning> = {};
  for (const [agent, variants] of sweptAgents(config)) {
    const bySeed = (name: string) => {
      const values = new Map<number, number>();
      for (const seed of tuning.seeds) {
        const value = runMeans.get(name)?.get(seed)?.[tuning.metric];
        if (value !== undefined) values.set(seed, value);
      }
      return values;
    };
    const series = variants.map((variant) => bySeed(variant.name));
    // A variant with no tuning result at all (its runs failed) is out of the choice; the others
    // are compared on the seeds they all finished: a variant whose run failed on a seed would
    // otherwise be judged on other users.
    const candidates = series.filter((values) => values.size > 0);
    const seeds = tuning.seeds.filter((seed) => candidates.every((values) => values.has(seed)));
    const scores = variants.map((variant, i) => ({
      name: variant.name,
      params: variant.variant?.params ?? {},
      mean: seeds.length === 0 || series[i].size === 0 ? null : mean(seeds.map((seed) => series[i].get(seed)!)),
    }));
    // The scored variants, best first (the first in sweep order on a tie: the sort is stable).
    const sign = tuning.better === 'higher' ? 1 : -1;
    const [best, runnerUp] = scores
      .flatMap((score, i) => (score.mean === null ? [] : [{ i, mean: score.mean }]))
      .sort((a, b) => sign * (b.mean - a.mean))
      .map(({ i }) => i);
    const margin = runnerUp === undefined ? null : pairedDifferences(series[best], series[runnerUp], seeds);
    agents[agent] = {
      winner: best === undefined ? null : scores[best].name,
      variants: scores,
      seeds,
      margin: margin && { over: scores[runnerUp].name, mean: margin.mean, ci95: margin.ci95 },
    };
  }
  return { seeds: tuning.seeds, metric: tuning.metric, better: tuning.better, agents };
}

/**
 * The experiment as its summary reports it: the reporting seeds only, the fixed agents and each
 * swept agent's chosen variant (where the swept agent stood). Without tuning, the config itself.
 */
export function reportingConfig(config: ExperimentConfig, tuning: TuningSummary | null): ExperimentConfig {
  if (!config.tuning || !tuning) return config;
  const tuningSeeds = new Set(config.tuning.seeds);
  // A swept agent with no choice (no tuning seed finished for every variant) shows all its variants.
  const shown = (agent: AgentConfig) => {
    if (!agent.variant) return true;
    const winner = tuning.agents[agent.variant.agent]?.winner ?? null;
    return winner === null || winner === agent.name;
  };
  return {
    ...config,
    seeds: config.seeds.filter((seed) => !tuningSeeds.has(seed)),
    agents: config.agents.filter(shown),
  };
}
