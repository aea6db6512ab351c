// What every run's episodes are, as a config sees them: how they are numbered (evaluation users
// are episodes 0, 1, ...; training users TRAINING_EPISODE_BASE + e, so the two never meet: the
// loop in lab/loop/rollout.ts numbers them), the limit a training budget takes from that, and the
// metrics every world reports. Apart from config.ts so that the loop, which worker threads run,
// takes them without the config parser (zod, yaml).

/** The first training episode's index: evaluation episodes (at most 10^6) stay far below it. */
export const TRAINING_EPISODE_BASE = 2 ** 30;
/** At most this many training episodes per run (indices stay below 2^31). */
export const MAX_TRAINING_EPISODES = 2 ** 30 - 1;

/** The metrics every world reports, before the world's own episode metrics. */
export const CORE_METRICS = ['return', 'episodeLength', 'clicks'] as const;

/**
 * A policy's act, a round of up to evaluation.batchSize users: the built-in agents take well
 * under 100 ms (reinforce and the ranker about 10-30 ms a round of 64 in the feed), so 5 s is a
 * policy stuck or far too slow, not a busy machine.
 */
export const DEFAULT_ACT_TIME_LIMIT_MS = 5000;

/**
 * A worker thread's JavaScript heap cap in MB (evaluation.workerHeapMb): about Node's own limit on
 * a machine with 16 GB or more, so the built-in agents never meet it (their bulk is typed arrays
 * and wasm memory, which it does not count); it makes a leaking policy fail its run by name
 * instead of taking the machine's memory. Lower it to protect a small machine.
 */
export const DEFAULT_WORKER_HEAP_MB = 4096;
