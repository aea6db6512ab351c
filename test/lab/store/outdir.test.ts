import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { program as main } from '../../../cli.ts';
import { claimDefaultOutDir, claimOutDir, OutDirError } from '../../../lab/store/outdir.ts';

import { capture, configFile, registries, scratch } from '../outputs-fixture.ts';

describe('output directories', () => {
  it('gives two runs started in the same second two directories', () => {
    const root = join(scratch, 'results');
    const now = new Date(Date.UTC(2026, 10, 30, 3, 4, 5));
    const first = claimDefaultOutDir('x', now, root);
    const second = claimDefaultOutDir('x', now, root);
    expect(first).toBe(join(root, 'x', '20261130-030405'));
    expect(second).toBe(join(root, 'x', '20261130-030405-2'));
  });

  it('takes a new or empty --out, and refuses one that holds files or is a file', () => {
    expect(claimOutDir(join(scratch, 'new', 'nested'))).toBe(join(scratch, 'new', 'nested'));
    // A new directory is claimed too: a second run naming it cannot take it.
    expect(() => claimOutDir(join(scratch, 'new', 'nested'))).toThrow(/already holds files/);
    const empty = join(scratch, 'empty');
    mkdirSync(empty);
    expect(claimOutDir(empty)).toBe(empty);
    // Claimed at once (two runs started on one empty directory cannot both take it).
    expect(() => claimOutDir(empty)).toThrow(/already holds files/);
    const used = join(scratch, 'used');
    mkdirSync(used);
    writeFileSync(join(used, 'summary.json'), '{}');
    expect(() => claimOutDir(used)).toThrow(
      new OutDirError(
        `--out ${used}: already holds files (an earlier run's results?); name a new or empty directory (slatelab never writes over results)`,
      ),
    );
    const file = join(scratch, 'a-file');
    writeFileSync(file, '');
    expect(() => claimOutDir(file)).toThrow(/is a file, not a directory/);
    expect(() => claimOutDir(join(file, 'below'))).toThrow(/is a file, not a directory/);
    expect(() => claimOutDir('  ')).toThrow('--out: needs a directory name');
  });

  it('refuses --out on a system file system instead of hanging', () => {
    expect(() => claimOutDir('/proc/slatelab-results')).toThrow(/system file system/);
  });

  it('makes `slatelab run --out` into a used directory exit 2 with one line, before running', async () => {
    const used = join(scratch, 'used-cli');
    mkdirSync(used);
    writeFileSync(join(used, 'notes.txt'), 'mine');
    const io = capture();
    const code = await main(['run', configFile('used.json'), '--out', used], io, registries);
    expect(code).toBe(2);
    expect(io.err).toEqual([
      `slatelab: --out ${used}: already holds files (an earlier run's results?); name a new or empty directory (slatelab never writes over results)\n`,
    ]);
    expect(readFileSync(join(used, 'notes.txt'), 'utf8')).toBe('mine');
  });
});
