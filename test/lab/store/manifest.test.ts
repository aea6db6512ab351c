// manifest.json (lab/store/manifest.ts): one versioned schema for the writer and every reader.
// Written format first and read back as written; a manifest from before the format field is
// format 1 and still resumes, reports and compares; a directory it cannot use is one line that says
// what is wrong and what to do.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../lab/config/config.ts';
import type { Registries } from '../../../lab/config/registries.ts';
import { main } from '../../../lab/cli/main.ts';
import { compareExperiments } from '../../../lab/report/compare.ts';
import { rebuildReports } from '../../../lab/report/rebuild.ts';
import { resumeExperiment } from '../../../lab/run/resume.ts';
import { runExperiment } from '../../../lab/run/runner.ts';
import { CLAIMED_MANIFEST_TEXT, MANIFEST_FORMAT, ManifestError, readManifest } from '../../../lab/store/manifest.ts';
import { policies } from '../../../policies/index.ts';
import { bandit } from '../../../sim/presets/bandit.ts';

// Injected registries: the runs go in-process, one after another (a few hundred ms in all).
const registries: Registries = { worlds: { bandit }, policies };
const raw = {
  name: 'manifest-test',
  world: { preset: 'bandit', params: { catalog: 30, dim: 3, candidates: 8, slateSize: 2, horizon: 20 } },
  seeds: [0, 1],
  agents: [
    { name: 'random', kind: 'random' },
    { name: 'greedy', kind: 'greedy-pctr' },
  ],
  evaluation: { episodes: 20 },
};

const dir = mkdtempSync(join(tmpdir(), 'slatelab-manifest-'));
const config = validateConfig(raw, 'manifest-test.yaml', registries);
await runExperiment({ config, outDir: dir, registries, charts: false });
const manifestText = () => readFileSync(join(dir, 'manifest.json'), 'utf8');
const readText = (at: string, file: string) => readFileSync(join(at, file), 'utf8');

/** A copy of the experiment's directory whose manifest is as slatelab 0.1.0 wrote it: no format. */
function withoutFormat(): string {
  const copy = mkdtempSync(join(tmpdir(), 'slatelab-manifest-old-'));
  cpSync(dir, copy, { recursive: true });
  const { format: _format, ...old } = JSON.parse(manifestText()) as Record<string, unknown>;
  writeFileSync(join(copy, 'manifest.json'), `${JSON.stringify(old, null, 2)}\n`);
  return copy;
}

describe('manifest.json as written and read', () => {
  it('starts with its format, leaves no temporary file, and reads back as written, key for key', () => {
    const written = JSON.parse(manifestText()) as Record<string, unknown>;
    expect(Object.keys(written)[0]).toBe('format');
    expect(written.format).toBe(MANIFEST_FORMAT);
    expect(readdirSync(dir).filter((name) => name.includes('.tmp-'))).toEqual([]);
    // The same keys in the same order: resume writes the config it read back, and its bytes must not move.
    expect(JSON.stringify(readManifest(dir))).toBe(JSON.stringify(written));
  });

  it('reads a manifest of slatelab 0.1.0, written before the format field, as format 1', () => {
    const fixture = fileURLToPath(new URL('../../fixtures/manifest-0.1.0', import.meta.url));
    const manifest = readManifest(fixture);
    expect(manifest.format).toBe('slatelab-manifest/1');
    expect(manifest).toMatchObject({ name: 'recsim-slateq', slatelab: '0.1.0', complete: true });
    expect(manifest.networks).toEqual({ backend: 'wasm', tfjs: '4.22.0' });
    const kinds = manifest.config.agents.map((agent) => agent.kind);
    expect(kinds).toEqual(['greedy-pctr', 'random', 'slateq', 'slateq', 'oracle-quality']);
    expect(manifest.runs.filter((run) => run.agentFile).map((run) => run.agent)).toEqual(['slateq', 'slateq-gamma0']);
  });
});

describe('a config with every optional field', () => {
  it('keeps baseline and training through the manifest: report and resume compare against the named baseline', async () => {
    const named = validateConfig(
      { ...raw, name: 'manifest-baseline', baseline: 'greedy', training: { steps: 40 } },
      'b.yaml',
      registries,
    );
    const at = mkdtempSync(join(tmpdir(), 'slatelab-manifest-baseline-'));
    try {
      const run = await runExperiment({ config: named, outDir: at, registries, charts: false });
      expect(run.summary.paired.baseline).toBe('greedy');
      const written = readText(at, 'summary.json');
      expect(readManifest(at).config).toEqual(named);
      // Rebuilt from the manifest read back: the same baseline, the same bytes.
      const rebuilt = await rebuildReports(at, { registries, charts: false });
      expect(rebuilt.summary.paired.baseline).toBe('greedy');
      expect(readText(at, 'summary.json')).toBe(written);
      await resumeExperiment(at, { registries, charts: false });
      expect(JSON.parse(readText(at, 'manifest.json')).config.baseline).toBe('greedy');
      expect(readText(at, 'summary.json')).toBe(written);
    } finally {
      rmSync(at, { recursive: true, force: true });
    }
  });
});

describe('results written before the format field', () => {
  it('resume runs only the missing run, the summary byte-identical, and writes the manifest format first', async () => {
    const old = withoutFormat();
    rmSync(join(old, 'runs', 'greedy', 'seed-1.jsonl'));
    rmSync(join(old, 'summary.json'));
    const outcome = await resumeExperiment(old, { registries, charts: false });
    expect(outcome.kept).toBe(3);
    expect(readText(old, 'summary.json')).toBe(readText(dir, 'summary.json'));
    expect(readText(old, 'runs/greedy/seed-1.jsonl')).toBe(readText(dir, 'runs/greedy/seed-1.jsonl'));
    expect(Object.keys(JSON.parse(readText(old, 'manifest.json')) as object)[0]).toBe('format');
  });

  it('report rebuilds the same summary and reports; compare finds no difference', async () => {
    const old = withoutFormat();
    for (const file of ['summary.json', 'summary.csv', 'report.md']) rmSync(join(old, file));
    await rebuildReports(old, { registries, charts: false });
    for (const file of ['summary.json', 'summary.csv', 'report.md']) {
      expect(readText(old, file), file).toBe(readText(dir, file));
    }
    expect(compareExperiments(dir, old).differences).toEqual([]);
  });
});

describe('a directory whose manifest cannot be used: one line, what is wrong and what to do', () => {
  /** The message readManifest throws for `at`, checked to be a one-line ManifestError. */
  const problem = (at: string): string => {
    try {
      readManifest(at);
    } catch (error) {
      expect(error).toBeInstanceOf(ManifestError);
      expect((error as Error).message).not.toContain('\n');
      return (error as Error).message;
    }
    throw new Error(`expected ${at} to be refused`);
  };
  /** A copy of the experiment's directory with its manifest replaced by `text`. */
  const withManifestText = (text: string): string => {
    const copy = mkdtempSync(join(tmpdir(), 'slatelab-manifest-bad-'));
    cpSync(dir, copy, { recursive: true });
    writeFileSync(join(copy, 'manifest.json'), text);
    return copy;
  };
  const edited = (edit: (manifest: Record<string, any>) => void): string => {
    const manifest = JSON.parse(manifestText()) as Record<string, any>;
    edit(manifest);
    return withManifestText(JSON.stringify(manifest));
  };
  const HINT = 'give the output directory of slatelab run (its --out, or results/<name>/<time>)';
  const DAMAGED_FIX = 'restore it from a copy, or run the experiment again with slatelab run';

  it('not a results directory: says so and what to give', () => {
    const empty = mkdtempSync(join(tmpdir(), 'slatelab-manifest-empty-'));
    expect(problem(empty)).toBe(`${empty}: not an experiment's results (no manifest.json); ${HINT}`);
    expect(problem(join(empty, 'nope'))).toBe(`${join(empty, 'nope')}: no such directory; ${HINT}`);
    const file = join(dir, 'summary.json');
    expect(problem(file)).toBe(`${file}: is a file, not an experiment's results; ${HINT}`);
  });

  it('damaged (not JSON, or not a mapping): names the file', () => {
    const cut = withManifestText(manifestText().slice(0, 200));
    const notJson = `^${join(cut, 'manifest.json')}: is damaged: not valid JSON \\(.+\\); ${DAMAGED_FIX}$`;
    expect(problem(cut)).toMatch(new RegExp(notJson));
    const list = withManifestText('[]\n');
    expect(problem(list)).toBe(`${join(list, 'manifest.json')}: is damaged: a list, not a manifest; ${DAMAGED_FIX}`);
  });

  it('of a newer or unknown format: names it and the format this slatelab reads', () => {
    const newer = edited((m) => {
      m.format = 'slatelab-manifest/2';
      m.slatelab = '9.0.0';
    });
    expect(problem(newer)).toBe(
      `${join(newer, 'manifest.json')}: has format slatelab-manifest/2, ` +
        'newer than this slatelab reads (slatelab-manifest/1); read it with slatelab 9.0.0 or later',
    );
    const unknown = edited((m) => {
      m.format = 'banana';
    });
    expect(problem(unknown)).toBe(
      `${join(unknown, 'manifest.json')}: has an unknown format "banana" ` +
        `(this slatelab reads slatelab-manifest/1); ${DAMAGED_FIX}`,
    );
  });

  it('a field that fails the schema: names its path and what was there', () => {
    const wrongType = edited((m) => {
      m.runs[1].episodes = 'many';
    });
    expect(problem(wrongType)).toBe(
      `${join(wrongType, 'manifest.json')}: is not a valid slatelab-manifest/1 manifest: ` +
        `runs[1].episodes: expected number, got "many"; ${DAMAGED_FIX}`,
    );
    const missing = edited((m) => {
      delete m.config.agents[0].streamKey;
      m.config.backend = 'gpu';
    });
    expect(problem(missing)).toMatch(/: config\.agents\[0\]\.streamKey: missing \(string\) \(and 1 more\); restore it/);
  });

  it('a directory claimed by a run that stopped before it started holds no results, in this version or 0.1.0', () => {
    for (const text of [CLAIMED_MANIFEST_TEXT, '{"complete": false}\n']) {
      const claimed = withManifestText(text);
      const fix = 'run the experiment again with slatelab run';
      expect(problem(claimed)).toBe(`${claimed}: holds no results (its run stopped before it started); ${fix}`);
    }
  });

  it('at the command line: exit 2 and the one line', async () => {
    const cut = withManifestText('{"format": ');
    const out: string[] = [];
    const write = (text: string) => out.push(text);
    const io = { stdout: write, stderr: write, stderrIsTTY: false };
    for (const command of ['report', 'resume']) {
      out.length = 0;
      expect(await main([command, cut], io, registries)).toBe(2);
      const file = join(cut, 'manifest.json');
      const line = new RegExp(`^slatelab: ${file}: is damaged: not valid JSON \\(.+\\); ${DAMAGED_FIX}\n$`);
      expect(out).toEqual([expect.stringMatching(line)]);
    }
  });
});
