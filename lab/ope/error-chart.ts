// The chart of `slatelab evaluate --sizes`: each estimator's mean absolute relative error over
// seeds against the interactions logged per seed, with its 95% band (the t interval over seeds,
// clipped at 0), interactions on a log scale.
import type { TopLevelSpec } from 'vega-lite';
import { svgToPng, toSvg } from '../report/charts.ts';
import type { SizePoint } from './evaluate.ts';

export function errorBySizeSpec(points: readonly SizePoint[], policy: string, seeds: number): TopLevelSpec {
  const values = points.flatMap((point) =>
    Object.entries(point.estimators)
      .filter(([, error]) => Number.isFinite(error.absRelError.mean))
      .map(([estimator, error]) => ({
        estimator,
        interactions: point.interactions,
        error: error.absRelError.mean,
        lo: Math.max(0, error.absRelError.ci95?.[0] ?? error.absRelError.mean),
        hi: error.absRelError.ci95?.[1] ?? error.absRelError.mean,
        seeds: error.absRelError.n,
      })),
  );
  const x = {
    field: 'interactions',
    type: 'quantitative',
    scale: { type: 'log' },
    title: 'interactions logged per seed',
  } as const;
  const color = { field: 'estimator', type: 'nominal', title: 'estimator' } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Off-policy estimates of ${policy}: error against data (${seeds} seeds)`,
    width: 520,
    height: 320,
    data: { values },
    config: { font: 'DejaVu Sans', background: 'white', view: { stroke: null }, legend: { symbolOpacity: 1 } },
    layer: [
      {
        mark: { type: 'errorband', opacity: 0.12 },
        encoding: {
          x,
          y: { field: 'lo', type: 'quantitative', title: 'mean |relative error|' },
          y2: { field: 'hi' },
          color,
        },
      },
      {
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'error', type: 'quantitative' },
          color,
          strokeDash: { field: 'estimator', type: 'nominal', legend: null },
          tooltip: [
            { field: 'estimator' },
            { field: 'interactions' },
            { field: 'error', format: '.3f' },
            { field: 'lo', format: '.3f' },
            { field: 'hi', format: '.3f' },
            { field: 'seeds' },
          ],
        },
      },
    ],
  };
}

/** The chart as SVG and PNG. */
export async function errorBySizeChart(
  points: readonly SizePoint[],
  policy: string,
  seeds: number,
): Promise<{ svg: string; png: Uint8Array }> {
  const svg = await toSvg(errorBySizeSpec(points, policy, seeds));
  return { svg, png: await svgToPng(svg) };
}
