// The log the supervised agents learn from: impressions (the features of a post that reached the
// screen) with the targets of the signals they predict, a ring of `capacity` rows once full. Which
// signals are targets, and how, are its heads: every signal but the complements for the multi-task
// network, the click signal alone for logistic pCTR.
import type { WorldSpec } from '../../sim/env.ts';

/** Signals predicted as durations (squared-error regression on the value); the others are binary. */
const DURATIONS = new Set(['watchMinutes']);
/** Signals that are the complement of another one: not predicted. */
const COMPLEMENTS = new Set(['skip']);

/** The outputs of the network: which signal each is and how it is predicted. */
export interface Head {
  readonly signal: string;
  /** Index into WorldSpec.signalNames. */
  readonly index: number;
  readonly kind: 'binary' | 'duration';
}

/** The multi-task network's heads: every signal of the world but the complements. */
export function headsOf(spec: WorldSpec): Head[] {
  return spec.signalNames.flatMap((signal, index) =>
    COMPLEMENTS.has(signal)
      ? []
      : [{ signal, index, kind: DURATIONS.has(signal) ? ('duration' as const) : ('binary' as const) }],
  );
}

/** The click signal alone, as one binary head (what logistic pCTR learns). */
export function clickHead(spec: WorldSpec): Head[] {
  return [{ signal: spec.signalNames[spec.clickSignal], index: spec.clickSignal, kind: 'binary' }];
}

/** Impressions with every head's target: a ring of `capacity` rows once full. */
export class SignalLog {
  readonly features: Float32Array;
  /** capacity x H: each head's target (0/1, or the duration). */
  readonly targets: Float32Array;
  /** Rows held (at most the capacity). */
  size = 0;
  /** Rows ever added. */
  added = 0;

  constructor(
    readonly capacity: number,
    readonly width: number,
    readonly heads: readonly Head[],
  ) {
    this.features = new Float32Array(capacity * width);
    this.targets = new Float32Array(capacity * heads.length);
  }

  /** Adds one impression: features x[offset .. offset + F) and the slot's signals at signals[at ..]. */
  add(x: Float64Array, offset: number, signals: ArrayLike<number>, at: number): void {
    const row = this.added % this.capacity;
    const f = this.width;
    for (let j = 0; j < f; j++) this.features[row * f + j] = x[offset + j];
    const heads = this.heads;
    const h = heads.length;
    for (let i = 0; i < h; i++) {
      const value = signals[at + heads[i].index];
      this.targets[row * h + i] = heads[i].kind === 'duration' ? value : value > 0 ? 1 : 0;
    }
    this.added++;
    if (this.size < this.capacity) this.size++;
  }
}
