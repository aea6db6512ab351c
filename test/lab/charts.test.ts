import { describe, expect, it } from 'vitest';
import { comparisonSpec, experimentCharts, type AgentChartData } from '../../lab/charts.ts';

const interval = (mean: number) => ({ mean, ci95: [mean - 1, mean + 1] as [number, number] });
const agents: AgentChartData[] = ['random', 'oracle-quality'].map((agent, i) => ({
  agent,
  metrics: { return: interval(10 + 5 * i) },
  daily: [interval(3 + i), interval(2 + i), interval(1 + i)],
  retention: [interval(1), interval(0.8), interval(0.5 + 0.1 * i)],
}));

describe('charts', () => {
  it('plots each agent\'s mean with its confidence interval', () => {
    const spec = comparisonSpec(agents, 'return', 'return by agent') as unknown as { data: { values: object[] } };
    expect(spec.data.values).toEqual([
      { agent: 'random', mean: 10, lo: 9, hi: 11 },
      { agent: 'oracle-quality', mean: 15, lo: 14, hi: 16 },
    ]);
  });

  it('renders the comparison, engagement-over-time and retention charts to SVG with text and to PNG', async () => {
    const charts = await experimentCharts(agents, ['return']);
    expect(charts.map((c) => c.name)).toEqual(['compare-return', 'engagement-over-time', 'retention']);
    for (const chart of charts) {
      expect(chart.svg.startsWith('<svg')).toBe(true);
      expect(chart.svg).toContain('oracle-quality');
      // PNG signature, then an IHDR chunk with a non-trivial width.
      expect(Array.from(chart.png.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
      const width = new DataView(chart.png.buffer, chart.png.byteOffset).getUint32(16);
      expect(width).toBeGreaterThan(400);
    }
  });

  it('draws no over-time charts for worlds without days', async () => {
    const flat = agents.map((a) => ({ ...a, daily: [interval(1)], retention: [interval(1)] }));
    expect((await experimentCharts(flat, ['return'])).map((c) => c.name)).toEqual(['compare-return']);
  });
});
