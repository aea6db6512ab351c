// Where and when a results directory's runs ran: `timeline.json`, one entry per command that
// worked on it (run, each resume, a merge), with the host, the start and end times (UTC) and the
// runs it finished. A merge's timeline lists its shards' timelines. This is the one file that
// holds wall-clock times and hosts: nothing reads it to build summaries or reports, and the
// manifest stays free of them, so results and manifests stay the same bytes wherever and
// whenever they ran.
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeJsonAtomic } from './atomic.ts';

export const TIMELINE_FILE = 'timeline.json';
export const TIMELINE_FORMAT = 'slatelab-timeline/1';

export interface Session {
  readonly command: 'run' | 'resume' | 'merge';
  readonly host: string;
  /** ISO 8601, UTC. */
  readonly started: string;
  /** Null while the command works (or when it was killed). */
  readonly finished: string | null;
  /** Runs it finished (a merge: the runs it joined). */
  readonly runs: number;
  /** A shard's slice (run --shard i/n). */
  readonly shard?: { readonly index: number; readonly count: number };
}

export interface ShardTimeline {
  readonly dir: string;
  readonly index: number;
  readonly sessions: readonly Session[];
}

export interface Timeline {
  readonly format: typeof TIMELINE_FORMAT;
  readonly sessions: readonly Session[];
  /** A merge's: each shard's sessions, in shard order. */
  readonly shards?: readonly ShardTimeline[];
}

/** `dir`'s timeline; an empty one when it has none or it cannot be read (it never decides anything). */
export function readTimeline(dir: string): Timeline {
  const file = join(dir, TIMELINE_FILE);
  try {
    if (existsSync(file)) {
      const timeline = JSON.parse(readFileSync(file, 'utf8')) as Timeline;
      if (timeline.format === TIMELINE_FORMAT && Array.isArray(timeline.sessions)) return timeline;
    }
  } catch {
    // A damaged timeline is only lost history: it is started again.
  }
  return { format: TIMELINE_FORMAT, sessions: [] };
}

/**
 * A session of `command` on `dir`, recorded now as started; `finish(runs)` records its end. The
 * clock and the host are read here, and only here.
 */
export function startSession(
  dir: string,
  command: Session['command'],
  extra: { readonly shard?: Session['shard']; readonly shards?: readonly ShardTimeline[] } = {},
): { finish(runs: number): void } {
  const earlier = readTimeline(dir);
  const session: Session = {
    command,
    host: hostname(),
    started: new Date().toISOString(),
    finished: null,
    runs: 0,
    ...(extra.shard ? { shard: extra.shard } : {}),
  };
  const write = (last: Session) =>
    writeJsonAtomic(join(dir, TIMELINE_FILE), {
      format: TIMELINE_FORMAT,
      sessions: [...earlier.sessions, last],
      ...(extra.shards ? { shards: extra.shards } : earlier.shards ? { shards: earlier.shards } : {}),
    } satisfies Timeline);
  write(session);
  return { finish: (runs) => write({ ...session, finished: new Date().toISOString(), runs }) };
}
