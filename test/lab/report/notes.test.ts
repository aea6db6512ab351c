// Reports say what a reader must know of the world's and agents' settings (lab/report/outputs.ts
// experimentNotes): ground truth in the observations, an oracle choice model.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../lab/config/config.ts';
import { defaultRegistries } from '../../../lab/config/registries.ts';
import { buildSummary } from '../../../lab/store/summary.ts';
import { reportIntro, summaryText } from '../../../lab/report/tables.ts';
import { reportMarkdown } from '../../../lab/report/markdown.ts';
import { experimentNotes } from '../../../lab/report/outputs.ts';

const config = (observeQuality: boolean, agents: { name: string; kind: string; params?: Record<string, unknown> }[]) =>
  validateConfig(
    {
      name: 'notes',
      world: { preset: 'recsim-interest-evolution', params: { observeQuality } },
      seeds: 2,
      agents,
      training: { steps: 1000 },
      evaluation: { episodes: 10 },
    },
    'notes.yaml',
  );

describe('notes in reports', () => {
  it("name observeQuality and SlateQ's choice model, in the terminal summary and both reports", () => {
    const c = config(true, [
      { name: 'greedy-pctr', kind: 'greedy-pctr' },
      { name: 'oracle-choice', kind: 'slateq', params: { choiceModel: 'world', noClickValue: 'zero' } },
      { name: 'learned-choice', kind: 'slateq' },
    ]);
    const notes = experimentNotes(c, defaultRegistries);
    expect(notes).toHaveLength(5);
    expect(notes[0]).toMatch(/^observeQuality is on: .*true quality/);
    expect(notes[1]).toMatch(/^greedy-pctr: ranks with the world's own choice model .*partial oracle/);
    expect(notes[2]).toMatch(/^oracle-choice: uses the world's declared choice model .*oracle assumption/);
    expect(notes[3]).toMatch(/^oracle-choice: values a step without a click at 0/);
    expect(notes[4]).toMatch(/^learned-choice: learns the choice model from observed clicks/);
    const summary = buildSummary(c, ['return'], new Map(), [], {}, 0, {}, null, notes);
    for (const text of [reportIntro(summary).join('\n'), summaryText(summary), reportMarkdown(summary, [])]) {
      for (const note of notes) expect(text).toContain(`Note: ${note}.`);
    }
  });

  it('are absent from the summary when there is nothing to say (summaries of other experiments keep their bytes)', () => {
    const c = config(false, [{ name: 'random', kind: 'random' }]);
    expect(experimentNotes(c, defaultRegistries)).toEqual([]);
    expect(Object.keys(buildSummary(c, ['return'], new Map(), []))).not.toContain('notes');
  });
});
