// Spearman's rank correlation with an exact permutation p-value: for a handful of paired values
// (policies ranked offline and online), where the usual approximations do not hold.

/** Ranks (1-based), ties given their average rank. */
export function ranks(values: readonly number[]): number[] {
  const order = values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
  const out = new Array<number>(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && values[order[end + 1]] === values[order[start]]) end++;
    for (let i = start; i <= end; i++) out[order[i]] = (start + end) / 2 + 1;
    start = end + 1;
  }
  return out;
}

function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/**
 * Spearman's rho of paired values and its two-sided p-value: the share of the n! orderings of y's
 * ranks whose |rho| is at least the observed one (exact; n at most 10).
 */
export function spearman(x: readonly number[], y: readonly number[]): { rho: number; p: number } {
  const n = x.length;
  if (n !== y.length || n < 3 || n > 10)
    throw new RangeError(`spearman: needs 3 to 10 pairs, got ${n} and ${y.length}`);
  const rx = ranks(x);
  const ry = ranks(y);
  const rho = pearson(rx, ry);
  let extreme = 0;
  let total = 0;
  const permutation = [...ry];
  const visit = (k: number) => {
    if (k === n) {
      total++;
      if (Math.abs(pearson(rx, permutation)) >= Math.abs(rho) - 1e-12) extreme++;
      return;
    }
    for (let i = k; i < n; i++) {
      [permutation[k], permutation[i]] = [permutation[i], permutation[k]];
      visit(k + 1);
      [permutation[k], permutation[i]] = [permutation[i], permutation[k]];
    }
  };
  visit(0);
  return { rho, p: extreme / total };
}
