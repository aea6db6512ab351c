// A run's record files both ways (lab/store/run-records.ts): what is written reads back to the same
// records, NaN included (JSON writes it as null), so summaries built from the files equal those
// built from memory.
import { describe, expect, it } from 'vitest';
import type { EpisodeRecord } from '../../../lab/loop/rollout.ts';
import {
  curveJsonl,
  episodeJsonl,
  parseCurve,
  parseEpisodeJsonl,
  parseRunMetrics,
  runMetricsJson,
} from '../../../lab/store/run-records.ts';

const names = { episodeMetricNames: ['churned', 'satisfaction'], signalNames: ['view', 'like'], clock: true };
const record = (episode: number, satisfaction: number): EpisodeRecord => ({
  episode,
  return: 1.5 + episode / 3,
  length: 7,
  clicks: 2,
  impressions: 12,
  signalTotals: [2, 0.1 + 0.2],
  dailyReturn: [1 / 3, Number.NaN],
  dailySteps: [5, 2],
  extra: [0, satisfaction],
  truncated: episode === 1,
});

describe('record files', () => {
  it('read back to the records written, bit for bit, NaN metrics and daily values included', () => {
    const records = [record(0, -0.25), record(1, Number.NaN), record(2, 1e-300)];
    const back = parseEpisodeJsonl(episodeJsonl(records, names), names, 'test.jsonl');
    expect(back).toEqual(records);
    expect(Object.is(back[1].extra[1], Number.NaN)).toBe(true);
  });

  it('without a clock, a record has one day: its return and length', () => {
    const clockless = { ...names, clock: false };
    const [back] = parseEpisodeJsonl(episodeJsonl([record(0, 1)], clockless), clockless, 'test.jsonl');
    expect(back.dailyReturn).toEqual([back.return]);
    expect(back.dailySteps).toEqual([back.length]);
  });

  it('names the file and line of a record cut short', () => {
    const text = episodeJsonl([record(0, 1), record(1, 2)], names);
    expect(() => parseEpisodeJsonl(text.slice(0, text.length - 20), names, 'x/seed-0.jsonl')).toThrow(
      /^x\/seed-0\.jsonl: line 2 is not a record/,
    );
  });

  it('curves read back with their checkpoints and totals, a NaN metric as NaN', () => {
    const curve = [
      {
        index: 0,
        target: 0,
        steps: 0,
        episodes: 0,
        metrics: { return: 1.25, clicks: Number.NaN },
        regret: null,
        stats: {},
      },
    ];
    const totals = {
      steps: 10,
      episodes: 2,
      cutEpisodes: 0,
      rounds: 1,
      onlineRegret: null,
      regretFirstHalf: null,
      regretSecondHalf: null,
    };
    expect(parseCurve(curveJsonl(curve, totals))).toEqual({ curve, totals });
  });

  it('run metrics read back by name, in order, bit for bit, NaN (nothing to measure) as NaN', () => {
    const runMetrics = { postCoverage: 0.1 + 0.2, creatorGini: Number.NaN, watchedQuality: -1e-300 };
    const text = runMetricsJson(runMetrics);
    expect(text).toBe('{"postCoverage":0.30000000000000004,"creatorGini":null,"watchedQuality":-1e-300}\n');
    const back = parseRunMetrics(text, 'x.run-metrics.json');
    expect(back).toEqual(runMetrics);
    expect(Object.keys(back)).toEqual(Object.keys(runMetrics));
  });

  it('names a run-metrics file cut short, or not of this kind', () => {
    const text = runMetricsJson({ postCoverage: 0.5 });
    expect(() => parseRunMetrics(text.slice(0, 8), 'x/seed-0.run-metrics.json')).toThrow(
      /^x\/seed-0\.run-metrics\.json is not a run's metrics \(a file cut short\?\)/,
    );
    expect(() => parseRunMetrics('[1]', 'x.json')).toThrow(/another version of slatelab/);
    expect(() => parseRunMetrics('{"postCoverage":"a"}', 'x.json')).toThrow(/"postCoverage" is not a number/);
  });
});
