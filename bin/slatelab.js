#!/usr/bin/env node
// The `slatelab` command. It runs the JavaScript that `npm ci` builds into dist/ (its `prepare`
// step) when that build is current (bin/built.js): no TypeScript to compile at start, in this
// process or in its worker threads, about a second and a half less per command. Otherwise
// (sources edited since the build, no build, or `bench`, whose harness is not built) it runs the
// TypeScript sources through tsx. Both run the same code, so results do not depend on which (the
// manifest records which ran: `code`). SLATELAB_FROM_SOURCE=1 forces the sources.
import { pathToFileURL } from 'node:url';
import { BUILT, builtIsCurrent } from './built.js';

// The command: the first argument that is not an option (`slatelab --verbose bench` is bench too).
const command = process.argv.slice(2).find((arg) => !arg.startsWith('-'));
if (command !== 'bench' && builtIsCurrent()) {
  await import(pathToFileURL(BUILT).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../lab/cli.ts');
}
