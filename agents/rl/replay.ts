// A replay buffer of slate transitions for value-based agents (SlateQ): a ring of the last
// `capacity` user-steps, each with what the user saw before and after, the slate, the slot they
// chose, the reward and how the episode went on. Observations are kept as the world wrote them
// (user features, the candidates' item features and fields, the context), not as network inputs:
// a RecSim step is 223 numbers where its encoded candidates would be 610, and the agent encodes a
// sampled batch when it trains.
import { allocateObservation, type Observation, type ObservationField, type WorldSpec } from '../../sim/env.ts';
import type { Rng } from '../../sim/rng.ts';
import type { Transition } from '../agent.ts';

/** Rows of observations kept by index: a flat copy of one row of an Observation per slot. */
export class ObservationRows {
  readonly user: Float32Array;
  /** capacity x N x D: each candidate's item features (copied out of the item table). */
  readonly items: Float32Array;
  readonly candidateFields: { readonly name: string; readonly values: Float32Array }[];
  readonly rowFields: { readonly name: string; readonly values: Float32Array }[];
  readonly context: Int32Array;
  private readonly n: number;
  private readonly u: number;
  private readonly d: number;

  constructor(spec: WorldSpec, capacity: number) {
    this.n = spec.numCandidates;
    this.u = spec.userFeatureDim;
    this.d = spec.itemFeatureDim;
    this.user = new Float32Array(capacity * this.u);
    this.items = new Float32Array(capacity * this.n * this.d);
    const fields = spec.observationLayout.fields;
    this.candidateFields = fields
      .filter((f) => f.scope === 'candidate')
      .map((f) => ({ name: f.name, values: new Float32Array(capacity * this.n) }));
    this.rowFields = fields
      .filter((f) => f.scope === 'row')
      .map((f) => ({ name: f.name, values: new Float32Array(capacity) }));
    this.context = new Int32Array(capacity * 3);
  }

  /** Numbers kept per row (for the memory check). */
  static width(spec: WorldSpec): number {
    const fields = spec.observationLayout.fields;
    const perCandidate = fields.filter((f) => f.scope === 'candidate').length;
    const perRow = fields.filter((f) => f.scope === 'row').length;
    return spec.userFeatureDim + spec.numCandidates * (spec.itemFeatureDim + perCandidate) + perRow + 3;
  }

  /** Keeps row `row` of `observation` at `slot`. */
  write(slot: number, observation: Observation, row: number): void {
    const { n, u, d } = this;
    this.user.set(observation.userFeatures.subarray(row * u, (row + 1) * u), slot * u);
    for (let c = 0; c < n; c++) {
      const item = observation.candidateItems[row * n + c];
      this.items.set(observation.itemFeatures.subarray(item * d, (item + 1) * d), (slot * n + c) * d);
    }
    for (const field of this.candidateFields)
      field.values.set(observation.fields[field.name].subarray(row * n, (row + 1) * n), slot * n);
    for (const field of this.rowFields) field.values[slot] = observation.fields[field.name][row];
    this.context.set(observation.context.subarray(row * 3, row * 3 + 3), slot * 3);
  }

  /** Writes the row kept at `slot` as row `row` of `into` (an observation from scratchObservation). */
  read(slot: number, into: Observation, row: number): void {
    const { n, u, d } = this;
    into.userFeatures.set(this.user.subarray(slot * u, (slot + 1) * u), row * u);
    into.itemFeatures.set(this.items.subarray(slot * n * d, (slot + 1) * n * d), row * n * d);
    for (const field of this.candidateFields)
      into.fields[field.name].set(field.values.subarray(slot * n, (slot + 1) * n), row * n);
    for (const field of this.rowFields) into.fields[field.name][row] = field.values[slot];
    into.context.set(this.context.subarray(slot * 3, slot * 3 + 3), row * 3);
    into.active[row] = 1;
  }
}

/** An observation of `rows` rows shaped like the world's, with per-row items (candidate n of row b is item b N + n). */
export function scratchObservation(spec: WorldSpec, rows: number): Observation {
  const fields: ObservationField[] = [...spec.observationLayout.fields];
  return allocateObservation({
    batchSize: rows,
    numCandidates: spec.numCandidates,
    userFeatureDim: spec.userFeatureDim,
    itemFeatureDim: spec.itemFeatureDim,
    fields,
  });
}

export class SlateReplay {
  readonly before: ObservationRows;
  readonly after: ObservationRows;
  /** capacity x K: the slate played. */
  readonly slates: Int32Array;
  /** capacity x K: the slate played at the next step of the same episode (SARSA's next action), where nextKnown. */
  readonly nextSlates: Int32Array;
  /** capacity: the slot the user chose, -1 for none. */
  readonly chosen: Int32Array;
  readonly reward: Float32Array;
  /** capacity: 1 when the episode really ended with this step (nothing to bootstrap from). */
  readonly terminal: Uint8Array;
  /** capacity: 1 when `after` holds the next observation (every step but a terminal one). */
  readonly hasNext: Uint8Array;
  /** capacity: 1 when nextSlates holds the next slate played, or the step was terminal (SARSA can use it). */
  readonly nextKnown: Uint8Array;
  /** Transitions held (up to capacity). */
  size = 0;
  private cursor = 0;
  private readonly k: number;
  /** S and the click's index among them: the chosen slot is the first clicked one that reached the screen. */
  private readonly signalCount: number;
  private readonly clickSignal: number;
  /** capacity: the count of transitions added when each slot was written (to tell an overwritten slot). */
  private readonly serials: Float64Array;
  private added = 0;
  /**
   * B: per training row, the slot of its last step, that slot's serial, and the step's episode and index (-1: none).
   */
  private readonly lastSlot: Int32Array;
  private readonly lastSerial: Float64Array;
  private readonly lastEpisode: Int32Array;
  private readonly lastStep: Int32Array;

  constructor(
    spec: WorldSpec,
    readonly capacity: number,
  ) {
    this.k = spec.slateSize;
    this.signalCount = spec.signalNames.length;
    this.clickSignal = spec.clickSignal;
    this.before = new ObservationRows(spec, capacity);
    this.after = new ObservationRows(spec, capacity);
    this.slates = new Int32Array(capacity * this.k);
    this.nextSlates = new Int32Array(capacity * this.k);
    this.chosen = new Int32Array(capacity);
    this.reward = new Float32Array(capacity);
    this.terminal = new Uint8Array(capacity);
    this.hasNext = new Uint8Array(capacity);
    this.nextKnown = new Uint8Array(capacity);
    this.serials = new Float64Array(capacity).fill(-1);
    this.lastSlot = new Int32Array(spec.batchSize).fill(-1);
    this.lastSerial = new Float64Array(spec.batchSize).fill(-1);
    this.lastEpisode = new Int32Array(spec.batchSize).fill(-1);
    this.lastStep = new Int32Array(spec.batchSize).fill(-1);
  }

  /** Bytes held at `capacity` for a world of this shape (the memory check). */
  static bytes(spec: WorldSpec, capacity: number): number {
    return (
      capacity * (2 * ObservationRows.width(spec) * 4 + 2 * spec.slateSize * 4 + 4 + 4 + 3 + 8) + spec.batchSize * 20
    );
  }

  /**
   * Keeps every active row of a training round, with the slot the user chose: the first clicked
   * slot that reached the screen (-1: none; the worlds SlateQ runs in have one choice at most). A
   * row's step also completes its previous step's entry (SARSA's next slate), unless
   * a buffer smaller than two rounds has overwritten it meanwhile.
   */
  add(transition: Transition): void {
    const { k } = this;
    const { before, after, action, reward, hasNext, terminated, episode, step } = transition;
    for (let row = 0; row < episode.length; row++) {
      if (episode[row] < 0) continue;
      const previous = this.lastSlot[row];
      if (
        previous >= 0 &&
        this.serials[previous] === this.lastSerial[row] &&
        this.lastEpisode[row] === episode[row] &&
        this.lastStep[row] === step[row] - 1
      ) {
        this.nextSlates.set(action.slates.subarray(row * k, (row + 1) * k), previous * k);
        this.nextKnown[previous] = 1;
      }
      const slot = this.cursor;
      this.before.write(slot, before, row);
      if (hasNext[row] === 1) this.after.write(slot, after, row);
      this.slates.set(action.slates.subarray(row * k, (row + 1) * k), slot * k);
      this.chosen[slot] = this.chosenSlot(transition, row);
      this.reward[slot] = reward[row];
      this.terminal[slot] = terminated[row];
      this.hasNext[slot] = hasNext[row];
      this.nextKnown[slot] = terminated[row];
      this.serials[slot] = this.added;
      this.lastSlot[row] = slot;
      this.lastSerial[row] = this.added++;
      this.lastEpisode[row] = episode[row];
      this.lastStep[row] = step[row];
      this.cursor = (this.cursor + 1) % this.capacity;
      this.size = Math.min(this.size + 1, this.capacity);
    }
  }

  private chosenSlot({ signals, impressions }: Transition, row: number): number {
    for (let slot = 0; slot < impressions[row]; slot++)
      if (signals[(row * this.k + slot) * this.signalCount + this.clickSignal] > 0) return slot;
    return -1;
  }

  /**
   * Draws `count` transitions uniformly (with replacement) into out: any transition that can be
   * bootstrapped from (terminal, or with its next observation), and with `needNextSlate` only
   * those whose next slate is known too (SARSA). Returns how many it found (fewer only when a
   * bounded search found none usable: a buffer of almost only unfinished steps).
   */
  sample(rng: Rng, count: number, needNextSlate: boolean, out: Int32Array): number {
    let found = 0;
    for (let tries = 0; found < count && tries < count * 20; tries++) {
      const slot = rng.int(this.size);
      const usable = needNextSlate ? this.nextKnown[slot] === 1 : this.terminal[slot] === 1 || this.hasNext[slot] === 1;
      if (usable) out[found++] = slot;
    }
    return found;
  }
}
