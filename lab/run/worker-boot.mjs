// Entry of a pool worker thread. Worker threads do not inherit the tsx loader the CLI registered,
// so each worker registers it before loading the TypeScript worker body. (From the emitted
// JavaScript in dist/, lab/run/pool.ts starts worker.js directly: no tsx, no boot file.)
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
