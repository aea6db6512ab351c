// The charts of training: learning curves (evaluation return against training steps), online
// cumulative regret where the world knows the optimum, and each training statistic. One line per
// agent with its 95% band over seeds; a fixed policy is a flat line (it does not change).
import { curveSpec, type AgentChartData, type ChartSpec, type LineSeries, type Range } from './charts.ts';
import type { MetricSummary, TrainingSummary } from '../store/summary.ts';

/** The specs of the training charts, or none without a training block. */
export function trainingSpecs(training: TrainingSummary | null, agents: readonly AgentChartData[], worldMetrics: readonly string[] = []): ChartSpec[] {
  if (!training) return [];
  const entries = agents.flatMap((agent) => (training.agents[agent.agent] ? [{ agent, training: training.agents[agent.agent] }] : []));
  const learners = entries.filter((entry) => entry.training.learns);
  if (learners.length === 0) return [];
  const lastStep = Math.max(0, ...learners.map((entry) => entry.training.steps[entry.training.steps.length - 1] ?? 0));
  const series = (pick: (entry: (typeof entries)[number]) => readonly MetricSummary[] | null | undefined, includeFixed: boolean): LineSeries[] =>
    entries.flatMap((entry) => {
      const values = pick(entry);
      if (!values || values.length === 0 || (!entry.training.learns && !includeFixed)) return [];
      if (!entry.training.learns) return [{ agent: entry.agent, points: [0, lastStep].map((x) => ({ x, interval: values[0] })) }];
      return [{ agent: entry.agent, points: values.map((interval, i) => ({ x: entry.training.steps[i], interval })) }];
    });
  const specs: ChartSpec[] = [];
  const returnTitle = 'Learning curves: evaluation return';
  specs.push({ name: 'learning-return', title: returnTitle, spec: curveSpec(series((e) => e.training.curves.return, true), agents, returnTitle, 'mean return per episode') });
  // The world's own metrics at each checkpoint (e.g. the feed's churn, the bandit world's regret).
  for (const metric of worldMetrics) {
    const title = `Learning curves: ${metric}`;
    specs.push({ name: `learning-${safeName(metric)}`, title, spec: curveSpec(series((e) => e.training.curves[metric], true), agents, title, metric) });
  }
  if (learners.some((entry) => entry.training.regret !== null)) {
    const title = 'Online cumulative regret while learning';
    const nonNegative: Range = [0, Infinity];
    specs.push({ name: 'online-regret', title, spec: curveSpec(series((e) => e.training.regret, false), agents, title, 'expected reward lost, summed over training', nonNegative) });
  }
  const statNames = [...new Set(learners.flatMap((entry) => Object.keys(entry.training.stats)))].sort();
  for (const stat of statNames) {
    const title = `Training statistic: ${stat}`;
    specs.push({ name: `training-${safeName(stat)}`, title, spec: curveSpec(series((e) => e.training.stats[stat], false), agents, title, stat) });
  }
  return specs;
}

function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '-');
}
