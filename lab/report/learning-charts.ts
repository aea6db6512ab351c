// The charts of training: learning curves (evaluation return against training steps), online
// cumulative regret where the world knows the optimum, and each training statistic. One line per
// agent with its 95% band over seeds; a fixed policy is a flat line (it does not change).
import {
  curveSpec,
  type AgentChartData,
  type ChartSpec,
  type ConstantChart,
  type LineSeries,
  type Range,
} from './charts.ts';
import type { TopLevelSpec } from 'vega-lite';
import type { MetricSummary, Summary, TrainingSummary } from '../store/summary.ts';

/** The specs of the training charts, or none without a training block. */
export function trainingSpecs(
  training: TrainingSummary | null,
  agents: readonly AgentChartData[],
  worldMetrics: readonly string[] = [],
): ChartSpec[] {
  if (!training) return [];
  const entries = agents.flatMap((agent) =>
    training.agents[agent.agent] ? [{ agent, training: training.agents[agent.agent] }] : [],
  );
  const learners = entries.filter((entry) => entry.training.learns);
  if (learners.length === 0) return [];
  const lastStep = Math.max(0, ...learners.map((entry) => entry.training.steps[entry.training.steps.length - 1] ?? 0));
  const series = (
    pick: (entry: (typeof entries)[number]) => readonly MetricSummary[] | null | undefined,
    includeFixed: boolean,
  ): LineSeries[] =>
    entries.flatMap((entry) => {
      const values = pick(entry);
      if (!values || values.length === 0 || (!entry.training.learns && !includeFixed)) return [];
      if (!entry.training.learns)
        return [{ agent: entry.agent, points: [0, lastStep].map((x) => ({ x, interval: values[0] })) }];
      return [{ agent: entry.agent, points: values.map((interval, i) => ({ x: entry.training.steps[i], interval })) }];
    });
  const specs: ChartSpec[] = [];
  /** A chart and its live version (report.html's). */
  const add = (name: string, title: string, build: (live: boolean) => TopLevelSpec, metric?: string) =>
    specs.push({ name, title, spec: build(false), live: build(true), legend: true, ...(metric ? { metric } : {}) });
  const returnTitle = 'Learning curves: evaluation return';
  const returns = series((e) => e.training.curves.return, true);
  add('learning-return', returnTitle, (live) =>
    curveSpec(returns, agents, returnTitle, 'mean return per episode', undefined, live),
  );
  // The world's own metrics at each checkpoint (e.g. the feed's churn, the bandit world's regret).
  for (const metric of worldMetrics) {
    const title = `Learning curves: ${metric}`;
    const lines = series((e) => e.training.curves[metric], true);
    const build = (live: boolean) => curveSpec(lines, agents, title, metric, undefined, live);
    add(`learning-${safeName(metric)}`, title, build, metric);
  }
  if (learners.some((entry) => entry.training.regret !== null)) {
    const title = 'Online cumulative regret while learning';
    const nonNegative: Range = [0, Infinity];
    const lines = series((e) => e.training.regret, false);
    const yTitle = 'expected reward lost, summed over training';
    add('online-regret', title, (live) => curveSpec(lines, agents, title, yTitle, nonNegative, live));
  }
  const statNames = [...new Set(learners.flatMap((entry) => Object.keys(entry.training.stats)))].sort();
  for (const stat of statNames) {
    const title = `Training statistic: ${stat}`;
    const lines = series((e) => e.training.stats[stat], false);
    add(`training-${safeName(stat)}`, title, (live) => curveSpec(lines, agents, title, stat, undefined, live));
  }
  return specs;
}

/**
 * The summary's training charts (trainingSpecs), less the learning curves of the world's metrics
 * that are the same for every agent in every seed (sameForEveryAgent), which `alike` names.
 */
export function learningCharts(
  summary: Summary,
  agents: readonly AgentChartData[],
  worldMetrics: readonly string[],
): { drawn: ChartSpec[]; alike: ConstantChart[] } {
  const same = new Set(sameForEveryAgent(summary, worldMetrics));
  const specs = trainingSpecs(summary.training, agents, worldMetrics);
  const isSame = (chart: ChartSpec) => chart.metric !== undefined && same.has(chart.metric);
  return {
    drawn: specs.filter((chart) => !isSame(chart)),
    alike: specs
      .filter(isSame)
      .map((chart) => ({ name: chart.name, title: chart.title, why: 'the same for every agent in every seed' })),
  };
}

/**
 * The metrics that are the same for every agent in every seed (at least two agents): a property of
 * the users, such as the bandit world's optimal return, that says nothing about the agents. Their
 * learning curves are left out (the fixed policies' flat lines, evaluated on more users, would be
 * the only difference).
 */
export function sameForEveryAgent(summary: Summary, metrics: readonly string[]): string[] {
  const agents = Object.values(summary.agents).filter((metrics) => metrics.return.n > 0);
  if (agents.length < 2) return [];
  const key = (m: MetricSummary | undefined) => (m ? JSON.stringify([m.values, m.seeds]) : '');
  const same = (metric: string) => agents.every((agent) => key(agent[metric]) === key(agents[0][metric]));
  return metrics.filter((metric) => agents[0][metric] !== undefined && same(metric));
}

function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '-');
}
