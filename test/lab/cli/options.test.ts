import { describe, expect, it } from 'vitest';
import { program as main } from '../../../cli.ts';

import { capture, configFile, registries } from '../outputs-fixture.ts';

describe('option values, as typed', () => {
  const file = configFile('options.json');
  const cases: [string[], string][] = [
    [['--seeds', 'abc'], '--seeds: expected a whole number >= 1, got "abc"'],
    [['--seeds', '1.5'], '--seeds: expected a whole number >= 1, got "1.5"'],
    [['--seeds', '0x2'], '--seeds: expected a whole number >= 1, got "0x2"'],
    [['--episodes', '0'], '--episodes: expected a whole number >= 1, got "0"'],
    [['--episodes', '-1'], '--episodes: expected a whole number >= 1, got "-1"'],
    [['--threads', ''], '--threads: needs a whole number >= 1, e.g. --threads 4'],
    [['--out'], '--out: needs a directory, e.g. --out results/mine'],
    [['--out', 'a', '--out', 'b'], '--out: given 2 times; give it once'],
  ];
  it('checks bench options the same way', async () => {
    const bench = async (...args: string[]) => {
      const io = capture();
      expect(await main(['bench', ...args], io, registries)).toBe(2);
      return io.err.at(-1);
    };
    expect(await bench('--seconds', 'abc')).toBe('slatelab: --seconds: expected a positive number, got "abc"\n');
    expect(await bench('--seconds', '0')).toBe('slatelab: --seconds: expected a positive number, got "0"\n');
    expect(await bench('--only')).toBe('slatelab: --only: needs a world/policy, e.g. --only feed/random\n');
  });
  for (const [args, message] of cases) {
    it(`rejects ${args.join(' ') || '""'} with exit 2: ${message}`, async () => {
      const io = capture();
      expect(await main(['run', file, ...args], io, registries)).toBe(2);
      expect(io.err.at(-1)).toBe(`slatelab: ${message}\n`);
    });
  }

  it('names an unknown command, a missing config and an unknown option in words a user can act on', async () => {
    const last = async (argv: string[]) => {
      const io = capture();
      expect(await main(argv, io, registries)).toBe(2);
      return io.err.at(-1);
    };
    expect(await last(['frobnicate'])).toBe(
      'slatelab: unknown command "frobnicate"; commands: run, resume, report, compare, list, bench, calibrate, new-policy, try, evaluate, obp-synthetic, merge, slurm, kubernetes (slatelab --help shows them)\n',
    );
    expect(await last(['run'])).toBe(
      'slatelab: run: name an experiment config, e.g. slatelab run experiments/quickstart.yaml\n',
    );
    expect(await last(['run', file, '--sedes', '2'])).toBe(
      'slatelab: unknown option --sedes; slatelab run --help lists the options\n',
    );
    expect(await last(['--sedes', '2', 'run', file])).toBe(
      'slatelab: unknown option --sedes; slatelab run --help lists the options\n',
    );
    expect(await last(['--verbose', 'frobnicate'])).toBe(
      'slatelab: unknown command "frobnicate"; commands: run, resume, report, compare, list, bench, calibrate, new-policy, try, evaluate, obp-synthetic, merge, slurm, kubernetes (slatelab --help shows them)\n',
    );
    expect(await last(['--verbose', 'run'])).toBe(
      'slatelab: run: name an experiment config, e.g. slatelab run experiments/quickstart.yaml\n',
    );
    expect(await last(['list', '-xy'])).toBe(
      'slatelab: unknown option -x, -y; slatelab list --help lists the options\n',
    );
    expect(await last(['list', '--no-foo'])).toBe(
      'slatelab: unknown option --no-foo; slatelab list --help lists the options\n',
    );
    expect(await last(['run', file, 'extra.yaml'])).toBe(
      'slatelab: unexpected argument "extra.yaml"; slatelab run --help shows what run takes\n',
    );
    expect(await last(['compare', 'a', 'b', 'c'])).toBe(
      'slatelab: unexpected argument "c"; slatelab compare --help shows what compare takes\n',
    );
    expect(await last(['evaluate', '--logs', 'x', '--policy', 'random', '--sizes', '10,ten'])).toBe(
      'slatelab: --sizes: expected whole numbers >= 2 separated by commas, e.g. 1000,10000, got "10,ten"\n',
    );
    // list's arguments are the user's own policy files.
    expect(await last(['list', 'foo'])).toBe(
      'slatelab: list: foo is not a module; name a policy or agent file (.ts, .mts, .js, .mjs)\n',
    );
  });
});
