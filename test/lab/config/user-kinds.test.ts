// Kinds that name a user's file (lab/config/user-kinds.ts, path-kind.ts, user-code.ts): which kinds
// are paths, where they point, and the hash of their code. Loading them runs in test/e2e (it needs
// whole CLI processes: module hooks and tsx).
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lab/config/config-error.ts';
import { isPathKind } from '../../../lab/config/path-kind.ts';
import { codeHash } from '../../../lab/config/user-code.ts';
import { pathKindsOf } from '../../../lab/config/user-kinds.ts';

describe('path kinds', () => {
  it('are paths or names with a module extension; built-in names are not', () => {
    for (const kind of ['./mine.ts', '../p/mine.mjs', '/abs/mine.js', 'mine.mts', 'policies/mine.ts'])
      expect(isPathKind(kind), kind).toBe(true);
    for (const kind of ['random', 'greedy-pctr', 'reinforce', 'oracle-quality'])
      expect(isPathKind(kind), kind).toBe(false);
  });

  it("resolve relative to the config's folder; a path without a module extension is refused naming the field", () => {
    const raw = {
      agents: [
        { name: 'a', kind: 'random' },
        { name: 'b', kind: './policies/mine.ts' },
      ],
    };
    expect(pathKindsOf(raw, '/home/me/exp/config.yaml')).toEqual({
      './policies/mine.ts': '/home/me/exp/policies/mine.ts',
    });
    expect(() => pathKindsOf({ agents: [{ name: 'c', kind: './policies/mine' }] }, 'c.yaml')).toThrow(ConfigError);
    expect(() => pathKindsOf({ agents: [{ name: 'c', kind: './policies/mine' }] }, 'c.yaml')).toThrow(
      /c\.yaml: agents\[0\]\.kind: "\.\/policies\/mine" is a path without a module's extension/,
    );
    expect(pathKindsOf('not a mapping', 'x.yaml')).toEqual({});
  });
});

describe("a user file's code hash", () => {
  const folder = mkdtempSync(join(tmpdir(), 'slatelab-code-hash-'));
  mkdirSync(join(folder, 'a/lib'), { recursive: true });
  writeFileSync(join(folder, 'a/mine.ts'), "import { x } from './lib/x.ts';\nexport default x;\n");
  writeFileSync(join(folder, 'a/lib/x.ts'), "export { y as x } from './y.ts';\n");
  writeFileSync(join(folder, 'a/lib/y.ts'), 'export const y = 1;\n');
  writeFileSync(join(folder, 'a/unrelated.ts'), 'export const z = 1;\n');

  it('covers the local files imported, transitively, not the others, wherever the folder is', () => {
    const before = codeHash(join(folder, 'a/mine.ts'));
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    cpSync(join(folder, 'a'), join(folder, 'b'), { recursive: true });
    expect(codeHash(join(folder, 'b/mine.ts'))).toBe(before);
    writeFileSync(join(folder, 'a/unrelated.ts'), 'export const z = 2;\n');
    expect(codeHash(join(folder, 'a/mine.ts'))).toBe(before);
    writeFileSync(join(folder, 'a/lib/y.ts'), 'export const y = 2;\n');
    expect(codeHash(join(folder, 'a/mine.ts'))).not.toBe(before);
  });
});
