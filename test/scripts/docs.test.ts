// The docs' tables of worlds, policies and agents are generated from the registries' declarations
// (scripts/docs.ts, `npm run docs`): the committed files are what the generator writes, a new
// registry entry appears in them with no hand edit, and the prose around the tables is kept.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { epsilonGreedy } from '../../agents/bandits/epsilon-greedy.ts';
import { defaultRegistries } from '../../lab/config/registries.ts';
import { randomPolicy } from '../../policies/random.ts';
import {
  DOC_FILES,
  DOCS_COMMAND,
  generatedRegions,
  paramTable,
  rewriteRegions,
  worldPage,
} from '../../scripts/docs.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (file: string) => readFileSync(join(root, file), 'utf8');
const regions = generatedRegions();
const MARKER = /^<!-- generated: ([a-z0-9/-]+) -->$/gm;

describe('the generated tables of the docs', () => {
  for (const file of DOC_FILES) {
    it(`${file} holds what ${DOCS_COMMAND} writes from the declarations`, () => {
      const text = read(file);
      const drift = `${file} differs from the declarations of the worlds, policies and agents: run ${DOCS_COMMAND}`;
      expect(text, drift).toBe(rewriteRegions(text, regions, file));
    });
  }

  it('has the tables of every world, policy and agent, each once, and each world page its parameters', () => {
    const names = DOC_FILES.flatMap((file) => [...read(file).matchAll(MARKER)].map((match) => match[1]));
    for (const name of ['worlds', 'policies', 'agents', 'agent-params']) {
      expect(
        names.filter((n) => n === name),
        name,
      ).toHaveLength(1);
    }
    // A new world needs its page (docs/world-<name>.md) and a place in the README's list of worlds.
    for (const world of Object.keys(defaultRegistries.worlds)) {
      const page = worldPage(world);
      expect(existsSync(join(root, page)), `${page}: write the world's page`).toBe(true);
      expect(read(page)).toContain(`<!-- generated: world-params-full/${world} -->`);
      expect(read('README.md')).toContain(`<!-- generated: world-params/${world} -->`);
    }
  });

  it('shows a new agent and a new policy in the README and docs/agents.md with no hand edit', () => {
    const shuffle = { ...randomPolicy, name: 'shuffle', summary: 'A new policy.' };
    const greedy = { ...epsilonGreedy, name: 'greedy', learns: 'what a new agent learns' };
    const grown = generatedRegions({
      ...defaultRegistries,
      policies: { ...defaultRegistries.policies, shuffle },
      agents: { ...defaultRegistries.agents, greedy },
    });
    const readme = rewriteRegions(read('README.md'), grown, 'README.md');
    const everywhere = 'recsim-interest-evolution, long-term-satisfaction, bandit, feed';
    expect(readme).toContain(`| \`shuffle\` | A new policy. | none | ${everywhere} |`);
    expect(readme).toContain('| `greedy` | bandit | what a new agent learns | recsim-interest-evolution, feed |');
    expect(rewriteRegions(read('docs/agents.md'), grown, 'docs/agents.md')).toContain('### `greedy` (bandit)');
  });
});

describe('rewriteRegions', () => {
  const lines = (...body: string[]) => [
    '# Title',
    '',
    'Before.',
    '<!-- generated: a -->',
    ...body,
    '<!-- end generated -->',
    'After.',
    '',
  ];
  const text = lines('stale', 'rows').join('\n');

  it('replaces what is between the markers and keeps every other line', () => {
    const once = rewriteRegions(text, { a: 'fresh' }, 'x.md');
    expect(once).toBe(lines('fresh').join('\n'));
    expect(rewriteRegions(once, { a: 'fresh' }, 'x.md')).toBe(once);
  });

  it('refuses, naming the file and line, a region it does not know or one that is not closed', () => {
    expect(() => rewriteRegions(text, { b: '' }, 'x.md')).toThrow(/^x\.md:4: no generated region "a"; known: b$/);
    const open = '<!-- generated: a -->\nrows';
    const unclosed = /^x\.md:1: region "a" has no "<!-- end generated -->" line$/;
    expect(() => rewriteRegions(open, { a: '' }, 'x.md')).toThrow(unclosed);
    const nested = '<!-- generated: a -->\n<!-- generated: a -->\n<!-- end generated -->';
    const notClosed = /^x\.md:1: region "a" is not closed before line 2$/;
    expect(() => rewriteRegions(nested, { a: '' }, 'x.md')).toThrow(notClosed);
  });
});

describe('paramTable', () => {
  const specs = {
    rate: { type: 'number', default: 0.1, min: 0, max: 1, doc: 'a rate | with a pipe' },
    count: { type: 'int', default: 3, min: 1, doc: 'a count' },
    mode: { type: 'enum', default: 'fast', values: ['fast', 'slow'], doc: 'a mode' },
    prior: { type: 'group', doc: 'a group', params: { clicks: { type: 'number', default: 1, doc: 'pseudo-clicks' } } },
  } as const;

  it('lists every parameter with its default, range and meaning, a group by its members or as one row', () => {
    expect(paramTable(specs)).toBe(
      [
        '| parameter | default | range | meaning |',
        '| --- | --- | --- | --- |',
        '| `rate` | 0.1 | 0..1 | a rate \\| with a pipe |',
        '| `count` | 3 | >= 1 | a count |',
        '| `mode` | fast | fast, slow | a mode |',
        '| **prior** |  |  | a group |',
        '| `prior.clicks` | 1 | any | pseudo-clicks |',
      ].join('\n'),
    );
    const collapsed = paramTable(specs, 'collapsed').split('\n');
    expect(collapsed.at(-1)).toBe('| `prior` |  |  | a group (a group of 1 parameter) |');
    expect(paramTable({})).toBe('No parameters.');
  });
});
