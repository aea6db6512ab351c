// A sum of doubles that does not depend on the order of its terms: the exact sum, rounded once.
//
// A run-level tally adds one term per page or per post as rows step, and which row steps first
// depends on the batch size; a plain running sum would then differ in its last bits from one batch
// size to another. Kept exact (Shewchuk, "Adaptive precision floating-point arithmetic and fast
// robust geometric predicates", 1997: non-overlapping partials, as Python's math.fsum) and rounded
// to the nearest double only when read, the result is the same for any order.

export class ExactSum {
  /** Non-overlapping partial sums, increasing in magnitude; their exact sum is the total. */
  private readonly partials: number[] = [];

  /** Adds a finite term. */
  add(x: number): void {
    const partials = this.partials;
    let kept = 0;
    for (let i = 0; i < partials.length; i++) {
      let y = partials[i];
      if (Math.abs(x) < Math.abs(y)) {
        const larger = y;
        y = x;
        x = larger;
      }
      // Two-sum: hi + lo = x + y exactly (|x| >= |y|).
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) partials[kept++] = lo;
      x = hi;
    }
    partials.length = kept;
    partials.push(x);
  }

  /** The exact sum of the terms, correctly rounded (0 without terms). */
  value(): number {
    const partials = this.partials;
    let n = partials.length;
    if (n === 0) return 0;
    n--;
    let hi = partials[n];
    let lo = 0;
    while (n > 0) {
      const x = hi;
      n--;
      const y = partials[n];
      hi = x + y;
      lo = y - (hi - x);
      if (lo !== 0) break;
    }
    // Round half to even across partials: a remainder of exactly half an ulp in hi is resolved by
    // the sign of the partials below it (as math.fsum does).
    if (n > 0 && ((lo < 0 && partials[n - 1] < 0) || (lo > 0 && partials[n - 1] > 0))) {
      const y = lo * 2;
      const x = hi + y;
      if (y === x - hi) hi = x;
    }
    return hi;
  }
}
