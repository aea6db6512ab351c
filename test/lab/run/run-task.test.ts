// What a worker thread loads (lab/run/run-task.ts and its imports): a run and nothing else. No zod,
// yaml, charts or reports (seconds of start-up per thread), and so not the manifest's schema
// (lab/store/manifest.ts) nor the config parser (lab/config/config.ts).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * The modules (file URLs, in load order) that importing each of `modules` loads, in a fresh
 * process through tsx as the CLI runs them: a loader hook, registered after tsx's, records every
 * module it is asked to load.
 */
function loadedBy(...modules: string[]): string[][] {
  const hooks = `
    let port;
    export function initialize(data) { port = data.port; }
    export async function load(url, context, next) { port.postMessage(url); return next(url, context); }`;
  const script = `
    import { register } from 'node:module';
    import { MessageChannel } from 'node:worker_threads';
    const { port1, port2 } = new MessageChannel();
    let loaded = [];
    port1.on('message', (url) => loaded.push(url));
    port1.unref();
    const hooks = 'data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)});
    register(hooks, { data: { port: port2 }, transferList: [port2] });
    const steps = [];
    for (const module of ${JSON.stringify(modules)}) {
      await import(module);
      // Messages from the hooks' thread arrive before the next turn of this one.
      await new Promise((resolve) => setTimeout(resolve, 50));
      steps.push(loaded);
      loaded = [];
    }
    console.log(JSON.stringify(steps));`;
  const args = ['--import', 'tsx', '--input-type=module', '-e', script];
  const out = execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  return JSON.parse(out) as string[][];
}

/** What no worker should load, by where it lives. */
const HEAVY = [
  /\/node_modules\/(zod|yaml|vega[^/]*|@resvg)\//,
  /\/lab\/store\/manifest\.ts$/,
  /\/lab\/config\/config\.ts$/,
  /\/lab\/report\//,
];

describe("a worker thread's modules", () => {
  it('run-task.ts loads a run and the registries: no zod, yaml, charts, manifest schema or config parser', () => {
    const [task, parser] = loadedBy('./lab/run/run-task.ts', './lab/config/config.ts');
    expect(task.some((url) => url.endsWith('/lab/loop/agent-run.ts'))).toBe(true);
    expect(task.some((url) => url.endsWith('/lab/config/registries.ts'))).toBe(true);
    expect(task.filter((url) => HEAVY.some((heavy) => heavy.test(url)))).toEqual([]);
    // The check sees them where they are loaded: the config parser brings zod and yaml.
    expect(parser.some((url) => url.includes('/node_modules/zod/'))).toBe(true);
    expect(parser.some((url) => url.includes('/node_modules/yaml/'))).toBe(true);
    expect(parser.some((url) => url.endsWith('/lab/store/manifest.ts'))).toBe(true);
  });
});
