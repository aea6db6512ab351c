// Logged interactions as observations again: a batch of up to B records written into an
// Observation of B rows, so that a target policy can act on exactly what the logging policy saw.
import type { Observation } from '../../sim/env.ts';
import type { Interaction, InteractionLog } from '../store/interaction-log.ts';

/** An Observation of `rows` rows for a log's world, refilled by `fill` batch after batch. */
export class ReplayBatch {
  readonly observation: Observation;
  private readonly n: number;
  private readonly u: number;
  private readonly d: number;
  private readonly catalog: boolean;

  constructor(
    private readonly log: InteractionLog,
    readonly rows: number,
  ) {
    const world = log.header.world;
    this.n = world.numCandidates;
    this.u = world.userFeatureDim;
    this.d = world.itemFeatureDim;
    this.catalog = log.catalog !== null;
    const candidateItems = new Int32Array(rows * this.n);
    if (!this.catalog) for (let i = 0; i < candidateItems.length; i++) candidateItems[i] = i;
    this.observation = {
      userFeatures: new Float32Array(rows * this.u),
      candidateItems,
      itemFeatures: log.catalog?.itemFeatures ?? new Float32Array(rows * this.n * this.d),
      itemIds: log.catalog?.itemIds ?? new Int32Array(rows * this.n),
      fields: Object.fromEntries(
        world.fields.map((field) => [field.name, new Float32Array(field.scope === 'candidate' ? rows * this.n : rows)]),
      ),
      candidateArms: this.catalog ? candidateItems : new Int32Array(rows * this.n),
      context: new Int32Array(rows * 3),
      active: new Uint8Array(rows),
    };
  }

  /** Writes `records` (at most `rows`) into rows 0.., the rest inactive. */
  fill(records: readonly Interaction[]): void {
    const { observation: o, n, u, d } = this;
    o.active.fill(0);
    records.forEach((record, row) => {
      o.active[row] = 1;
      o.context.set(record.context as Int32Array, row * 3);
      o.userFeatures.set(record.userFeatures as Float32Array, row * u);
      if (this.catalog) o.candidateItems.set(record.candidateItems as Int32Array, row * n);
      else {
        o.candidateArms.set(record.candidateArms as Int32Array, row * n);
        o.itemIds.set(record.itemIds as Int32Array, row * n);
        o.itemFeatures.set(record.itemFeatures as Float32Array, row * n * d);
      }
      for (const field of this.log.header.world.fields) {
        const value = record[`fields.${field.name}`];
        if (field.scope === 'candidate') o.fields[field.name].set(value as Float32Array, row * n);
        else o.fields[field.name][row] = value as number;
      }
    });
  }
}
