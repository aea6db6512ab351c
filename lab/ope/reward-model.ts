// The reward model of the direct and doubly robust estimators in `slatelab evaluate`: each slot's
// mean reward per arm (a catalog item), shrunk towards the slot's mean by one pseudo-observation,
// and cross-fitted: a record's prediction comes from the other fold's records (folds by episode
// parity), so that the model never predicts the rewards it was fitted to (Chernozhukov et al. 2018;
// OBP's cross-fitting). A deliberately simple model: DR stays unbiased whatever the model, and
// how far DM is off shows how wrong the model is.
export class SlotArmModel {
  private readonly sums: Map<number, number>[] = [new Map(), new Map()];
  private readonly counts: Map<number, number>[] = [new Map(), new Map()];
  private readonly slotSums: Float64Array[];
  private readonly slotCounts: Float64Array[];

  constructor(private readonly slots: number) {
    this.slotSums = [new Float64Array(slots), new Float64Array(slots)];
    this.slotCounts = [new Float64Array(slots), new Float64Array(slots)];
  }

  /** A logged slot: its fold (0 or 1), slot, arm (-1: none recurs) and reward. */
  add(fold: number, slot: number, arm: number, reward: number): void {
    this.slotSums[fold][slot] += reward;
    this.slotCounts[fold][slot] += 1;
    if (arm < 0) return;
    const key = arm * this.slots + slot;
    this.sums[fold].set(key, (this.sums[fold].get(key) ?? 0) + reward);
    this.counts[fold].set(key, (this.counts[fold].get(key) ?? 0) + 1);
  }

  /** The predicted reward of `arm` in `slot` for a record of `fold`, from the other fold. */
  predict(fold: number, slot: number, arm: number): number {
    const other = 1 - fold;
    const count = this.slotCounts[other][slot];
    const slotMean = count > 0 ? this.slotSums[other][slot] / count : 0;
    if (arm < 0) return slotMean;
    const key = arm * this.slots + slot;
    return ((this.sums[other].get(key) ?? 0) + slotMean) / ((this.counts[other].get(key) ?? 0) + 1);
  }
}
