// Entry point of the `slatelab` command (bin/slatelab.js imports this through tsx).
// The commands live in main.ts, so tests can call them without starting a process.
import { hideBin } from 'yargs/helpers';
import { main } from './main.ts';

process.exitCode = await main(hideBin(process.argv));
