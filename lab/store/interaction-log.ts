// A run's interaction log for off-policy evaluation (`slatelab run --log`): every user-step of the
// logging policy (agents/logging.ts) with what an estimator needs: the observation the page was
// chosen from, the page, its propensities (whole page, per slot, per prefix), what the user did
// (per-slot signals, the reward) and how the step ended. One binary file per run,
// runs/<agent>/seed-<s>.log:
//
//   a header: one line of JSON (format, byte order, the world's shape, the logging policy, the
//             record's layout and its size in bytes), ended by "\n"
//   the catalog, in catalog worlds: itemIds (R x int32), then itemFeatures (R x D x float32)
//   records:  fixed-size, little-endian, in (episode, step) order, so that the file does not
//             depend on evaluation.batchSize (the rows' order would)
//
// Fixed-size records let a reader stream the file in chunks (readInteractionLog) and say what an
// interaction costs: the header's recordBytes (about 0.6 kB in a feed of 10 candidates and pages of
// 3, 2.2 kB at the feed's defaults of 50 and 10).
import { closeSync, openSync, readSync } from 'node:fs';
import type { Action } from '../../agents/agent.ts';
import type { Observation, StepResult, WorldSpec } from '../../sim/env.ts';

export const LOG_FORMAT = 'slatelab-interactions/1';

type Kind = 'i32' | 'f32' | 'f64' | 'u8';
const BYTES: Record<Kind, number> = { i32: 4, f32: 4, f64: 8, u8: 1 };

/** One column of a record: a name, a type and how many values. */
export interface LogColumn {
  readonly name: string;
  readonly type: Kind;
  readonly count: number;
  /** One number per interaction (read back as a number, not an array). */
  readonly scalar?: true;
}

export interface LogHeader {
  readonly format: typeof LOG_FORMAT;
  readonly byteOrder: 'little-endian';
  readonly world: {
    readonly preset: string;
    readonly numCandidates: number;
    readonly slateSize: number;
    readonly userFeatureDim: number;
    readonly itemFeatureDim: number;
    /** R: catalog rows, stored once after the header; null where each step has its own documents. */
    readonly catalogSize: number | null;
    readonly signalNames: readonly string[];
    /** Where the reward is a weighted sum of the slots' signals, the weights (WorldSpec.slotRewardWeights); else null. */
    readonly slotRewardWeights: readonly number[] | null;
    readonly fields: readonly { readonly name: string; readonly scope: 'candidate' | 'row' }[];
  };
  /**
   * The logging policy: the agent's evaluation policy explored with probability epsilon, or a
   * softmax over its scores (agents/logging.ts).
   */
  readonly logging: {
    readonly agent: string;
    readonly kind: string;
    readonly policy: 'epsilon-greedy' | 'softmax';
    /** epsilon-greedy's epsilon, or softmax's temperature. */
    readonly epsilon?: number;
    readonly temperature?: number;
    /**
     * 'exact': closed forms throughout; or the slot marginals estimated from `samples` Monte Carlo
     * draws each (softmax over pages of more than 3); the page and prefix probabilities are exact.
     */
    readonly propensities: 'exact' | { readonly slotProb: 'monte-carlo'; readonly samples: number };
  };
  readonly records: number;
  readonly recordBytes: number;
  readonly columns: readonly LogColumn[];
}

/** The record's columns for a world of this shape. */
export function logColumns(spec: WorldSpec, userFeatureDim: number, loggingPage = false): LogColumn[] {
  const n = spec.numCandidates;
  const k = spec.slateSize;
  const d = spec.observationLayout.itemFeatures.length;
  const catalog = spec.catalogSize > 0;
  const columns: LogColumn[] = [
    { name: 'episode', scalar: true, type: 'i32', count: 1 },
    { name: 'step', scalar: true, type: 'i32', count: 1 },
    { name: 'context', type: 'i32', count: 3 },
    { name: 'userFeatures', type: 'f32', count: userFeatureDim },
    { name: 'candidateItems', type: 'i32', count: n },
  ];
  if (!catalog)
    columns.push(
      { name: 'candidateArms', type: 'i32', count: n },
      { name: 'itemIds', type: 'i32', count: n },
      { name: 'itemFeatures', type: 'f32', count: n * d },
    );
  for (const field of spec.observationLayout.fields)
    columns.push(
      field.scope === 'candidate'
        ? { name: `fields.${field.name}`, type: 'f32', count: n }
        : { name: `fields.${field.name}`, scalar: true, type: 'f32', count: 1 },
    );
  columns.push(
    { name: 'slate', type: 'i32', count: k },
    { name: 'slateProb', scalar: true, type: 'f64', count: 1 },
    { name: 'slotProb', type: 'f64', count: k },
    { name: 'prefixProb', type: 'f64', count: k },
    // Epsilon-greedy over a deterministic agent: the agent's own page (the pseudo-inverse estimator's Gamma).
    ...(loggingPage ? [{ name: 'loggingPage', type: 'i32', count: k } as const] : []),
    { name: 'impressions', scalar: true, type: 'i32', count: 1 },
    { name: 'signals', type: 'f32', count: k * spec.signalNames.length },
    { name: 'reward', scalar: true, type: 'f32', count: 1 },
    { name: 'terminated', scalar: true, type: 'u8', count: 1 },
    { name: 'truncated', scalar: true, type: 'u8', count: 1 },
    { name: 'sessionEnded', scalar: true, type: 'u8', count: 1 },
  );
  return columns;
}

export const recordBytes = (columns: readonly LogColumn[]): number =>
  columns.reduce((total, column) => total + BYTES[column.type] * column.count, 0);

/**
 * Collects a logging rollout's interactions (lab/loop/rollout.ts `logger`): `acted` copies each
 * active row's observation and page after the policy acted, `stepped` adds what the user did.
 */
export class InteractionLogWriter {
  private readonly columns: LogColumn[];
  private readonly bytes: number;
  private readonly n: number;
  private readonly k: number;
  private readonly d: number;
  private readonly catalog: boolean;
  private chunks: Uint8Array[] = [];
  private current: DataView;
  private used = 0;
  private count = 0;
  /** Per row: where its pending record starts in `current` (-1: none), filled by acted, finished by stepped. */
  private readonly pending: Int32Array;
  private readonly keys: number[] = [];

  constructor(
    private readonly spec: WorldSpec,
    private readonly userFeatureDim: number,
    /** B x K: the logging policy's own pages, read at each act (epsilon-greedy over a deterministic agent). */
    private readonly loggingPages: Int32Array | null = null,
  ) {
    this.columns = logColumns(spec, userFeatureDim, loggingPages !== null);
    this.bytes = recordBytes(this.columns);
    this.n = spec.numCandidates;
    this.k = spec.slateSize;
    this.d = spec.observationLayout.itemFeatures.length;
    this.catalog = spec.catalogSize > 0;
    this.pending = new Int32Array(spec.batchSize).fill(-1);
    this.current = new DataView(new ArrayBuffer(this.bytes * Math.max(256, spec.batchSize * 4)));
  }

  /** Bytes of one interaction. */
  get recordBytes(): number {
    return this.bytes;
  }

  private reserve(rows: number): void {
    if (this.used + rows * this.bytes <= this.current.byteLength) return;
    this.chunks.push(new Uint8Array(this.current.buffer, 0, this.used));
    this.current = new DataView(new ArrayBuffer(this.bytes * Math.max(4096, rows)));
    this.used = 0;
  }

  acted(observation: Observation, action: Action, episodes: Int32Array, steps: Int32Array): void {
    const rows = observation.active.length;
    this.reserve(rows);
    const { n, k, d, userFeatureDim: u } = this;
    const view = this.current;
    for (let row = 0; row < rows; row++) {
      this.pending[row] = -1;
      if (observation.active[row] === 0 || episodes[row] < 0) continue;
      let at = this.used;
      this.pending[row] = at;
      this.used += this.bytes;
      const i32 = (value: number) => {
        view.setInt32(at, value, true);
        at += 4;
      };
      const f32 = (value: number) => {
        view.setFloat32(at, value, true);
        at += 4;
      };
      const f64 = (value: number) => {
        view.setFloat64(at, value, true);
        at += 8;
      };
      i32(episodes[row]);
      i32(steps[row]);
      for (let c = 0; c < 3; c++) i32(observation.context[row * 3 + c]);
      for (let f = 0; f < u; f++) f32(observation.userFeatures[row * u + f]);
      for (let c = 0; c < n; c++) i32(observation.candidateItems[row * n + c]);
      if (!this.catalog) {
        for (let c = 0; c < n; c++) i32(observation.candidateArms[row * n + c]);
        for (let c = 0; c < n; c++) i32(observation.itemIds[observation.candidateItems[row * n + c]]);
        for (let c = 0; c < n; c++) {
          const item = observation.candidateItems[row * n + c];
          for (let f = 0; f < d; f++) f32(observation.itemFeatures[item * d + f]);
        }
      }
      for (const field of this.spec.observationLayout.fields) {
        const values = observation.fields[field.name];
        if (field.scope === 'candidate') for (let c = 0; c < n; c++) f32(values[row * n + c]);
        else f32(values[row]);
      }
      for (let s = 0; s < k; s++) i32(action.slates[row * k + s]);
      f64(action.slateProb[row]);
      for (let s = 0; s < k; s++) f64(action.slotProb[row * k + s]);
      for (let s = 0; s < k; s++) f64(action.prefixProb[row * k + s]);
      if (this.loggingPages) for (let s = 0; s < k; s++) i32(this.loggingPages[row * k + s]);
      // The rest (impressions onwards) is written by stepped.
      this.keys.push(episodes[row], steps[row]);
    }
  }

  stepped(result: StepResult): void {
    const view = this.current;
    const { k } = this;
    const signalCount = this.spec.signalNames.length;
    const tail = 4 + 4 * k * signalCount + 4 + 3;
    for (let row = 0; row < this.pending.length; row++) {
      const start = this.pending[row];
      if (start < 0) continue;
      let at = start + this.bytes - tail;
      view.setInt32(at, result.impressions[row], true);
      at += 4;
      for (let x = 0; x < k * signalCount; x++) {
        view.setFloat32(at, result.signals[row * k * signalCount + x], true);
        at += 4;
      }
      view.setFloat32(at, result.reward[row], true);
      at += 4;
      const truncated = result.truncated[row];
      view.setUint8(at, result.done[row] === 1 && truncated === 0 ? 1 : 0);
      view.setUint8(at + 1, truncated);
      view.setUint8(at + 2, result.sessionEnded[row]);
      this.pending[row] = -1;
      this.count++;
    }
  }

  /** The log file's bytes: header, catalog, and the records in (episode, step) order. */
  finish(logging: LogHeader['logging']): Uint8Array {
    const records = new Uint8Array(this.count * this.bytes);
    const all = [...this.chunks, new Uint8Array(this.current.buffer, 0, this.used)];
    let offset = 0;
    for (const chunk of all) {
      records.set(chunk, offset);
      offset += chunk.length;
    }
    const order = Array.from({ length: this.count }, (_, i) => i).sort(
      (a, b) => this.keys[2 * a] - this.keys[2 * b] || this.keys[2 * a + 1] - this.keys[2 * b + 1],
    );
    const spec = this.spec;
    const header: LogHeader = {
      format: LOG_FORMAT,
      byteOrder: 'little-endian',
      world: {
        preset: spec.preset,
        numCandidates: spec.numCandidates,
        slateSize: spec.slateSize,
        userFeatureDim: this.userFeatureDim,
        itemFeatureDim: this.d,
        catalogSize: this.catalog ? spec.catalogSize : null,
        signalNames: spec.signalNames,
        slotRewardWeights: spec.slotRewardWeights ?? null,
        fields: spec.observationLayout.fields.map(({ name, scope }) => ({ name, scope })),
      },
      logging,
      records: this.count,
      recordBytes: this.bytes,
      columns: this.columns,
    };
    const head = new TextEncoder().encode(`${JSON.stringify(header)}\n`);
    const catalogBytes = this.catalogBlock();
    const out = new Uint8Array(head.length + catalogBytes.length + records.length);
    out.set(head, 0);
    out.set(catalogBytes, head.length);
    let at = head.length + catalogBytes.length;
    for (const index of order) {
      out.set(records.subarray(index * this.bytes, (index + 1) * this.bytes), at);
      at += this.bytes;
    }
    return out;
  }

  private catalogTable: { itemIds: Int32Array; itemFeatures: Float32Array } | null = null;

  /** In catalog worlds: the catalog to store once (the observation's shared table). */
  setCatalog(observation: Observation): void {
    if (this.catalog) this.catalogTable = { itemIds: observation.itemIds, itemFeatures: observation.itemFeatures };
  }

  private catalogBlock(): Uint8Array {
    if (!this.catalogTable) return new Uint8Array(0);
    const { itemIds, itemFeatures } = this.catalogTable;
    const out = new DataView(new ArrayBuffer(4 * (itemIds.length + itemFeatures.length)));
    let at = 0;
    for (const id of itemIds) {
      out.setInt32(at, id, true);
      at += 4;
    }
    for (const value of itemFeatures) {
      out.setFloat32(at, value, true);
      at += 4;
    }
    return new Uint8Array(out.buffer);
  }
}

/** One interaction as read back: each column by name (numbers, or typed arrays for counts > 1). */
export type Interaction = Readonly<Record<string, number | Int32Array | Float32Array | Float64Array>>;

export interface InteractionLog {
  readonly header: LogHeader;
  /** Catalog worlds: the catalog's item ids and features (R x D); null elsewhere. */
  readonly catalog: { readonly itemIds: Int32Array; readonly itemFeatures: Float32Array } | null;
  /** The interactions in (episode, step) order, read from the file in chunks as they are iterated. */
  readonly interactions: () => Generator<Interaction>;
}

/** Opens a log file: its header and catalog now, the interactions as a stream. */
export function readInteractionLog(file: string, chunkRecords = 4096): InteractionLog {
  const fd = openSync(file, 'r');
  let header: LogHeader;
  let bodyStart: number;
  let catalog: InteractionLog['catalog'] = null;
  try {
    // The header line: read until its "\n".
    const parts: Buffer[] = [];
    let offset = 0;
    let newline = -1;
    while (newline < 0) {
      const chunk = Buffer.alloc(65536);
      const got = readSync(fd, chunk, 0, chunk.length, offset);
      if (got === 0) throw new Error(`${file}: not an interaction log (no header line)`);
      const at = chunk.subarray(0, got).indexOf(10);
      parts.push(chunk.subarray(0, at < 0 ? got : at));
      if (at >= 0) newline = offset + at;
      offset += got;
    }
    header = JSON.parse(Buffer.concat(parts).toString('utf8')) as LogHeader;
    if (header.format !== LOG_FORMAT)
      throw new Error(`${file}: log format ${String(header.format)}; this slatelab reads ${LOG_FORMAT}`);
    bodyStart = newline + 1;
    const rows = header.world.catalogSize;
    if (rows !== null) {
      const ids = Buffer.alloc(4 * rows);
      readSync(fd, ids, 0, ids.length, bodyStart);
      const features = Buffer.alloc(4 * rows * header.world.itemFeatureDim);
      readSync(fd, features, 0, features.length, bodyStart + ids.length);
      const idView = new DataView(ids.buffer, ids.byteOffset, ids.length);
      const featureView = new DataView(features.buffer, features.byteOffset, features.length);
      catalog = {
        itemIds: Int32Array.from({ length: rows }, (_, i) => idView.getInt32(4 * i, true)),
        itemFeatures: Float32Array.from({ length: features.length / 4 }, (_, i) => featureView.getFloat32(4 * i, true)),
      };
      bodyStart += ids.length + features.length;
    }
  } finally {
    closeSync(fd);
  }
  const start = bodyStart;
  function* interactions(): Generator<Interaction> {
    const handle = openSync(file, 'r');
    try {
      const size = header.recordBytes;
      const buffer = Buffer.alloc(size * chunkRecords);
      for (let first = 0; first < header.records; first += chunkRecords) {
        const count = Math.min(chunkRecords, header.records - first);
        const got = readSync(handle, buffer, 0, count * size, start + first * size);
        if (got < count * size)
          throw new Error(`${file}: the log ends inside record ${first + Math.floor(got / size)}`);
        const view = new DataView(buffer.buffer, buffer.byteOffset, count * size);
        for (let r = 0; r < count; r++) yield decode(view, r * size, header.columns);
      }
    } finally {
      closeSync(handle);
    }
  }
  return { header, catalog, interactions };
}

function decode(view: DataView, start: number, columns: readonly LogColumn[]): Interaction {
  const out: Record<string, number | Int32Array | Float32Array | Float64Array> = {};
  let at = start;
  for (const { name, type, count, scalar } of columns) {
    const read = (offset: number): number =>
      type === 'i32'
        ? view.getInt32(offset, true)
        : type === 'f32'
          ? view.getFloat32(offset, true)
          : type === 'f64'
            ? view.getFloat64(offset, true)
            : view.getUint8(offset);
    if (scalar) out[name] = read(at);
    else {
      const values =
        type === 'i32' ? new Int32Array(count) : type === 'f64' ? new Float64Array(count) : new Float32Array(count);
      for (let i = 0; i < count; i++) values[i] = read(at + i * BYTES[type]);
      out[name] = values;
    }
    at += count * BYTES[type];
  }
  return out;
}
