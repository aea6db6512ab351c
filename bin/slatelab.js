#!/usr/bin/env node
// The `slatelab` command. It runs the JavaScript that `npm ci` builds into dist/ (its `prepare`
// step) when that build is current (bin/built.js): no TypeScript to compile at start, in this
// process or in its worker threads, about a second and a half less per command. Otherwise
// (sources edited since the build, or no build) it runs the TypeScript sources through tsx. Both
// run the same code, so results do not depend on which (the manifest records which ran: `code`).
// SLATELAB_FROM_SOURCE=1 forces the sources.
import { pathToFileURL } from 'node:url';
import { BUILT, builtIsCurrent } from './built.js';

let cli;
if (builtIsCurrent()) {
  cli = await import(pathToFileURL(BUILT).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../cli.ts');
}
process.exitCode = await cli.program(process.argv.slice(2));
