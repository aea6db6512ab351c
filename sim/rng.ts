// Seeded random streams. Every stream is named by (experiment seed, run seed, component, purpose,
// optional index), so a component's draws never depend on how many draws another component made:
// all agents in one seed meet the same users and posts (common random numbers), and a user's
// episode is the same whatever batch row or batch size it runs in.

/** What a seeded world or policy needs to derive its streams. */
export interface SeedKey {
  /** The experiment's seed (config `seed`, default 0). */
  readonly experiment: number;
  /** The run's seed (one of config `seeds`). */
  readonly run: number;
}

/** Anything that yields uniforms in [0, 1): an Rng, or a replay of recorded draws in tests. */
export interface UniformSource {
  uniform(): number;
}

/**
 * A fast seeded generator (Tyche-i: 4 words of state, so a stream per user episode costs little
 * to create) with the samplers the worlds need.
 *
 * The generator is seedrandom's `tychei`, seeding and steps, reproduced on an Int32Array:
 * test/sim/rng.test.ts checks that every word equals seedrandom's for the same key. seedrandom
 * itself keeps the state in object properties behind closures, which costs about twice as much per
 * draw and ten times as much per new stream, and the worlds make hundreds of draws a step and
 * several streams per episode.
 */
export class Rng implements UniformSource {
  private readonly state = new Int32Array(4); // Tyche-i words a, b, c, d

  /** Prefer `Rng.derive`; a raw string key is for tests and tools. */
  constructor(key: string) {
    seedFromKey(this.state, key);
  }

  /**
   * Re-seeds this stream in place as stream `index` of `family`: afterwards it yields the words of
   * Rng.derive(seed, component, purpose, index), without building the key or allocating (worlds
   * start a few streams per episode, and a full string seeding costs as much as a page of draws).
   */
  reseed(family: StreamFamily, index: number): this {
    family.seedInto(this.state, index);
    return this;
  }

  /** The next 32-bit word: seedrandom's tychei `next` (Neves & Araujo 2011, Tyche-i; as step()). */
  private next(): number {
    const s = this.state;
    let a = s[0];
    let b = s[1];
    let c = s[2];
    let d = s[3];
    b = (b << 25) ^ (b >>> 7) ^ c;
    c = (c - d) | 0;
    d = (d << 24) ^ (d >>> 8) ^ a;
    a = (a - b) | 0;
    b = (b << 20) ^ (b >>> 12) ^ c;
    c = (c - d) | 0;
    d = (d << 16) ^ (c >>> 16) ^ a;
    a = (a - b) | 0;
    s[0] = a;
    s[1] = b;
    s[2] = c;
    s[3] = d;
    return a;
  }

  /** The raw 32-bit words (signed), for tests against seedrandom. */
  int32(): number {
    return this.next();
  }

  /** The stream for (seed, component, purpose[, index]). */
  static derive(seed: SeedKey, component: string, purpose: string, index?: number): Rng {
    const tail = index === undefined ? '' : `/${index}`;
    return new Rng(`${streamPrefix(seed, component, purpose)}${tail}`);
  }

  /**
   * Writes the next n words (signed, as int32()) to out[0..n): the same words as n calls, made in
   * one loop with the state in registers. For hot loops that need a word per item: reading a
   * word from `out` costs far less than a draw inlined at every call site.
   */
  words(out: Int32Array, n: number): void {
    const s = this.state;
    let a = s[0];
    let b = s[1];
    let c = s[2];
    let d = s[3];
    for (let i = 0; i < n; i++) {
      b = (b << 25) ^ (b >>> 7) ^ c;
      c = (c - d) | 0;
      d = (d << 24) ^ (d >>> 8) ^ a;
      a = (a - b) | 0;
      b = (b << 20) ^ (b >>> 12) ^ c;
      c = (c - d) | 0;
      d = (d << 16) ^ (c >>> 16) ^ a;
      a = (a - b) | 0;
      out[i] = a;
    }
    s[0] = a;
    s[1] = b;
    s[2] = c;
    s[3] = d;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    // 2^-32 is a literal here and below: V8 reloads a module constant on every use and divides by
    // it for real, while a literal power of two becomes an (exact) multiplication.
    return (this.next() >>> 0) * 2.3283064365386963e-10; // 2^-32
  }

  /** Uniform in (0, 1]: safe under a logarithm. */
  uniformPositive(): number {
    return ((this.next() >>> 0) + 1) * 2.3283064365386963e-10; // 2^-32
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Uniform integer in [0, n), n <= 2^32 (multiply-shift; bias below 2^-32 * n). */
  int(n: number): number {
    return Math.floor((this.next() >>> 0) * 2.3283064365386963e-10 * n); // 2^-32
  }

  bernoulli(p: number): boolean {
    return this.uniform() < p;
  }

  /** Standard normal by the ziggurat method (Marsaglia & Tsang 2000, 128 layers). */
  normal(): number {
    const bits = this.next();
    const layer = bits & 127;
    // The layer index and the value use disjoint bits (Doornik 2005): the low 7 bits pick the
    // layer, the upper 25 (signed) give the position within it.
    const j = bits >> 7;
    if ((j < 0 ? -j : j) < ZIG_K[layer]) return j * ZIG_W[layer];
    return this.normalSlow(j, layer);
  }

  /** Normal with the given mean and standard deviation. */
  gaussian(mean: number, sd: number): number {
    return mean + sd * this.normal();
  }

  /** Lognormal: exp(Normal(mu, sigma)). */
  lognormal(mu: number, sigma: number): number {
    return Math.exp(mu + sigma * this.normal());
  }

  /** Exponential with the given rate. */
  exponential(rate: number): number {
    return -Math.log(this.uniformPositive()) / rate;
  }

  /** Index drawn from unnormalised non-negative weights[0..count). */
  categorical(weights: ArrayLike<number>, count = weights.length): number {
    let total = 0;
    for (let i = 0; i < count; i++) total += weights[i];
    let target = this.uniform() * total;
    for (let i = 0; i < count; i++) {
      target -= weights[i];
      if (target < 0) return i;
    }
    // Rounding can leave target == 0 after the last positive weight.
    for (let i = count - 1; i >= 0; i--) if (weights[i] > 0) return i;
    return count - 1;
  }

  /** Shuffles values[0..count) in place (Fisher-Yates, from the last position down). */
  shuffle(values: Int32Array, count = values.length): void {
    for (let i = count - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const swap = values[i];
      values[i] = values[j];
      values[j] = swap;
    }
  }

  /** Writes k distinct indices from [0, n) into out[offset..offset+k), in random order. */
  sampleDistinct(n: number, k: number, out: Int32Array, offset = 0): void {
    // Rejection is cheapest for the small k of a slate. Up to 64 candidates, the indices taken
    // so far are a 64-bit set in two locals (the same draws and outcomes as the scan below).
    if (n <= 64) {
      let low = 0;
      let high = 0;
      for (let i = 0; i < k; i++) {
        let candidate: number;
        let clash: number;
        do {
          candidate = this.int(n);
          clash = candidate < 32 ? (low >>> candidate) & 1 : (high >>> (candidate - 32)) & 1;
        } while (clash !== 0);
        if (candidate < 32) low |= 1 << candidate;
        else high |= 1 << (candidate - 32);
        out[offset + i] = candidate;
      }
      return;
    }
    for (let i = 0; i < k; i++) {
      let candidate: number;
      let clash: boolean;
      do {
        candidate = this.int(n);
        clash = false;
        for (let j = 0; j < i; j++) {
          if (out[offset + j] === candidate) {
            clash = true;
            break;
          }
        }
      } while (clash);
      out[offset + i] = candidate;
    }
  }

  private normalSlow(j: number, layer: number): number {
    for (;;) {
      if (layer === 0) {
        // The tail beyond ZIG_R, by Marsaglia's exponential method.
        let x: number;
        let y: number;
        do {
          x = -Math.log(this.uniformPositive()) / ZIG_R;
          y = -Math.log(this.uniformPositive());
        } while (y + y < x * x);
        return j > 0 ? ZIG_R + x : -ZIG_R - x;
      }
      const x = j * ZIG_W[layer];
      if (ZIG_F[layer] + this.uniform() * (ZIG_F[layer - 1] - ZIG_F[layer]) < Math.exp(-0.5 * x * x)) {
        return x;
      }
      const bits = this.next();
      layer = bits & 127;
      j = bits >> 7;
      if ((j < 0 ? -j : j) < ZIG_K[layer]) return j * ZIG_W[layer];
    }
  }
}

function streamPrefix(seed: SeedKey, component: string, purpose: string): string {
  return `slatelab/${seed.experiment}/${seed.run}/${component}/${purpose}`;
}

/**
 * One Tyche-i step on the words s[0..4), for seeding. The same round is written out in Rng.next
 * and Rng.words: they are the hot paths, and next() calling step() measured ~2% slower (bench
 * --against) in the feed and recsim worlds. test/sim/rng.test.ts checks all three against seedrandom.
 */
function step(s: Int32Array): void {
  let a = s[0];
  let b = s[1];
  let c = s[2];
  let d = s[3];
  b = (b << 25) ^ (b >>> 7) ^ c;
  c = (c - d) | 0;
  d = (d << 24) ^ (d >>> 8) ^ a;
  a = (a - b) | 0;
  b = (b << 20) ^ (b >>> 12) ^ c;
  c = (c - d) | 0;
  d = (d << 16) ^ (c >>> 16) ^ a;
  a = (a - b) | 0;
  s[0] = a;
  s[1] = b;
  s[2] = c;
  s[3] = d;
}

/**
 * seedrandom's tychei string seeding: fixed start words, each character XORed into b with one
 * step, then 20 more steps.
 */
function seedFromKey(s: Int32Array, key: string): void {
  s[0] = 0;
  s[1] = 0;
  s[2] = 2654435769 | 0;
  s[3] = 1367130551;
  absorb(s, key);
  for (let k = 0; k < 20; k++) step(s);
}

/** The per-character part of the seeding. */
function absorb(s: Int32Array, text: string): void {
  for (let k = 0; k < text.length; k++) {
    s[1] ^= text.charCodeAt(k);
    step(s);
  }
}

/**
 * The streams Rng.derive(seed, component, purpose, index) for every index: the seeding of the
 * key's common prefix "slatelab/<experiment>/<run>/<component>/<purpose>/" is done once, and a
 * stream continues from it with the index's digits (the seeding reads the key one character at a
 * time, so this gives the same words).
 */
export class StreamFamily {
  private readonly prefix = new Int32Array(4);
  private readonly digits = new Int32Array(10);

  constructor(
    private readonly seed: SeedKey,
    private readonly component: string,
    private readonly purpose: string,
  ) {
    const s = this.prefix;
    s[2] = 2654435769 | 0;
    s[3] = 1367130551;
    absorb(s, `${streamPrefix(seed, component, purpose)}/`);
  }

  /** A new stream: the same as Rng.derive(seed, component, purpose, index). */
  stream(index: number): Rng {
    return new Rng('').reseed(this, index);
  }

  /** Seeds the words s[0..4) as the key of stream `index`. */
  seedInto(s: Int32Array, index: number): void {
    if (!(Number.isInteger(index) && index >= 0 && index <= 0x7fffffff)) {
      // Not a whole number in [0, 2^31) (the digit buffer's range): seed from the whole key.
      seedFromKey(s, `${streamPrefix(this.seed, this.component, this.purpose)}/${index}`);
      return;
    }
    s.set(this.prefix);
    const digits = this.digits;
    let count = 0;
    do {
      digits[count++] = index % 10;
      index = Math.floor(index / 10);
    } while (index > 0);
    for (let k = count - 1; k >= 0; k--) {
      s[1] ^= 48 + digits[k]; // the character code of the digit
      step(s);
    }
    for (let k = 0; k < 20; k++) step(s);
  }
}

// Ziggurat tables for 128 layers, built once (Marsaglia & Tsang 2000, "The Ziggurat Method for
// Generating Random Variables", J. Stat. Software 5(8)), scaled to a 25-bit signed position.
const ZIG_R = 3.442619855899;
const ZIG_K = new Float64Array(128);
const ZIG_W = new Float64Array(128);
const ZIG_F = new Float64Array(128);
{
  const scale = 2 ** 24; // |j| < 2^24
  const area = 9.91256303526217e-3;
  let dn = ZIG_R;
  let tn = dn;
  const q = area / Math.exp(-0.5 * dn * dn);
  ZIG_K[0] = (dn / q) * scale;
  ZIG_K[1] = 0;
  ZIG_W[0] = q / scale;
  ZIG_W[127] = dn / scale;
  ZIG_F[0] = 1;
  ZIG_F[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(area / dn + Math.exp(-0.5 * dn * dn)));
    ZIG_K[i + 1] = (dn / tn) * scale;
    tn = dn;
    ZIG_F[i] = Math.exp(-0.5 * dn * dn);
    ZIG_W[i] = dn / scale;
  }
}

/** Replays recorded uniforms (for golden-trace tests); throws when they run out. */
export class ReplayUniforms implements UniformSource {
  private position = 0;
  constructor(private readonly values: readonly number[]) {}
  uniform(): number {
    if (this.position >= this.values.length) throw new Error('replay ran out of recorded uniforms');
    return this.values[this.position++];
  }
  get consumed(): number {
    return this.position;
  }
}
