// A world sweep's own report (sweep-summary.json, sweep-report.md and .html): each agent's metrics in every
// world, and each world against the first with Welch's unpaired interval. Worlds with other
// parameters are other users, so seed s of one world says nothing of seed s of another: nothing
// pairs. Built from the worlds' summary.json files only, so a merged sweep gives the same bytes.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { welchDifference } from '../../eval/stats.ts';
import { writeFileAtomic, writeJsonAtomic } from '../store/atomic.ts';
import type { MetricSummary, Summary } from '../store/summary.ts';
import { sweepHtml } from './html.ts';
import { formatInterval, formatNumber, markdownTable, textTable } from './tables.ts';

export interface SweptWorld {
  readonly name: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** Relative to the sweep's directory. */
  readonly dir: string;
}

interface Cell {
  /** The agent's name in that world (a tuned agent's chosen variant may differ by world). */
  readonly agent: string;
  readonly metric: Pick<MetricSummary, 'mean' | 'ci95' | 'n'>;
  /** This world minus the first world (Welch); absent in the first world. */
  readonly difference?: { readonly mean: number; readonly ci95: readonly [number, number] | null };
}

export interface SweepSummary {
  readonly name: string;
  readonly worlds: readonly (SweptWorld & { readonly finished: boolean })[];
  readonly metrics: readonly string[];
  /** By agent (a swept agent under its config name), by world, by metric; null where it has no results. */
  readonly agents: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, Cell>> | null>>>>;
}

/** A summary's agents by the name they have across worlds: a tuned agent's chosen variant under its config name. */
function agentKeys(summary: Summary): Map<string, string> {
  const keys = new Map(Object.keys(summary.agents).map((name) => [name, name]));
  for (const [agent, choice] of Object.entries(summary.tuning?.agents ?? {}))
    if (choice.winner !== null && keys.has(choice.winner)) {
      keys.delete(choice.winner);
      keys.set(agent, choice.winner);
    }
  return keys;
}

/** The sweep's comparison from its worlds' summaries (a world without one is listed as unfinished). */
export function sweepSummary(dir: string, name: string, worlds: readonly SweptWorld[]): SweepSummary {
  const summaries = worlds.map((world) => {
    const file = join(dir, world.dir, 'summary.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Summary) : null;
  });
  const first = summaries.find((summary) => summary !== null) ?? null;
  const metrics = first?.metrics ?? [];
  const keyed = summaries.map((summary) => (summary ? agentKeys(summary) : new Map<string, string>()));
  const order: string[] = [];
  for (const keys of keyed) for (const key of keys.keys()) if (!order.includes(key)) order.push(key);
  const agents: Record<string, Record<string, Record<string, Cell> | null>> = {};
  const firstWorld = summaries[0];
  for (const key of order) {
    const row: Record<string, Record<string, Cell> | null> = {};
    // The agent in the first world, which every later world is compared with.
    const reference = firstWorld ? firstWorld.agents[keyed[0].get(key) ?? ''] : undefined;
    worlds.forEach((world, w) => {
      const summary = summaries[w];
      const agent = keyed[w].get(key);
      if (!summary || agent === undefined) {
        row[world.name] = null;
        return;
      }
      const cells: Record<string, Cell> = {};
      for (const metric of metrics) {
        const m = summary.agents[agent][metric];
        const base = w > 0 && reference ? reference[metric] : null;
        const difference = base ? welchDifference(base.values, m.values) : null;
        cells[metric] = {
          agent,
          metric: { mean: m.mean, ci95: m.ci95, n: m.n },
          ...(difference ? { difference: { mean: difference.mean, ci95: difference.ci95 } } : {}),
        };
      }
      row[world.name] = cells;
    });
    agents[key] = row;
  }
  return { name, worlds: worlds.map((world, w) => ({ ...world, finished: summaries[w] !== null })), metrics, agents };
}

/** "churn 0.05, catalog 200". */
function paramsText(params: Readonly<Record<string, unknown>>): string {
  return Object.entries(params)
    .map(([key, value]) => `${key} ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
}

/** One metric's table: agent, then each world's mean ± half-width, and each later world minus the first. */
export function sweepRows(summary: SweepSummary, metric: string): string[][] {
  const [first, ...rest] = summary.worlds;
  const header = [
    'agent',
    ...summary.worlds.map((world) => world.name),
    ...rest.map((world) => `${world.name} − ${first.name}`),
  ];
  const rows = [header];
  for (const [key, row] of Object.entries(summary.agents)) {
    const cell = (world: string) => row[world]?.[metric];
    rows.push([
      key,
      ...summary.worlds.map((world) => {
        const c = cell(world.name);
        return c ? `${formatInterval(c.metric)}${c.agent === key ? '' : ` (${c.agent})`}` : '—';
      }),
      ...rest.map((world) => {
        const d = cell(world.name)?.difference;
        if (!d) return '—';
        if (d.ci95 === null) return `${d.mean > 0 ? '+' : ''}${formatNumber(d.mean)}`;
        const clear = d.ci95[0] > 0 || d.ci95[1] < 0;
        return `${formatInterval({ ...d, n: 2 }, true)}${clear ? ' *' : ''}`;
      }),
    ]);
  }
  return rows;
}

/** A world's parameters, and whether it has results yet. */
function worldAbout(world: SweepSummary['worlds'][number]): string {
  return `${paramsText(world.params)}${world.finished ? '' : ' (no results yet: resume the sweep)'}`;
}

function introLines(summary: SweepSummary): string[] {
  return [
    `A world sweep: ${summary.worlds.length} worlds, each its own experiment (other users), in worlds/<name>/ with its own report.`,
    summary.worlds.map((world) => `- ${world.name}: ${worldAbout(world)}`).join('\n'),
    'Each cell: the mean over seeds ± the half-width of its 95% t interval. The differences from the first world are ' +
      "unpaired (Welch's t interval: the worlds' users differ, so seeds do not pair); *: the interval excludes 0. " +
      'A tuned agent shows its chosen variant in parentheses where it has another name.',
  ];
}

/** sweep-report.html: the same tables, each world linked to its own report. */
export function sweepPage(summary: SweepSummary): string {
  const [intro, , ...rest] = introLines(summary);
  const worlds = summary.worlds.map((world) => ({ ...world, about: worldAbout(world) }));
  return sweepHtml(
    { name: summary.name, worlds },
    [intro, ...rest],
    summary.metrics.map((metric) => ({ metric, rows: sweepRows(summary, metric) })),
  );
}

/** sweep-report.md. */
export function sweepMarkdown(summary: SweepSummary): string {
  const parts = [`# ${summary.name}: world sweep`, ...introLines(summary)];
  for (const metric of summary.metrics) parts.push(`## ${metric}`, markdownTable(sweepRows(summary, metric)));
  return `${parts.join('\n\n')}\n`;
}

/** What the terminal shows: the return table. */
export function sweepText(summary: SweepSummary): string {
  const metric = summary.metrics.includes('return') ? 'return' : summary.metrics[0];
  if (metric === undefined) return 'no world has results yet\n';
  return `${metric}, by world (differences from ${summary.worlds[0].name} unpaired, Welch):\n${textTable(sweepRows(summary, metric))}\n`;
}

/** Writes sweep-summary.json, sweep-report.md and sweep-report.html into the sweep's directory. */
export function writeSweepReport(dir: string, name: string, worlds: readonly SweptWorld[]): SweepSummary {
  const summary = sweepSummary(dir, name, worlds);
  writeJsonAtomic(join(dir, 'sweep-summary.json'), summary);
  writeFileAtomic(join(dir, 'sweep-report.md'), sweepMarkdown(summary));
  writeFileAtomic(join(dir, 'sweep-report.html'), sweepPage(summary));
  return summary;
}
