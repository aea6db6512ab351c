// SLOPE (Su, Srinath & Krishnamurthy 2020; Tucker & Lee 2021), the data-driven choice of an
// estimator's hyper-parameter that Open Bandit Pipeline uses for Switch-DR and DR-os: candidates
// ordered by the width of their confidence bound, widest first, are accepted while each one's
// estimate stays within its own width plus (sqrt 6 - 1) x every accepted one's; the last accepted
// wins. The width is the one-sided Student t bound of the mean of the per-round terms at level
// 1 - delta (OBP 0.5.1: delta 0.05; the variance with n in the denominator, as OBP's).
import { tQuantile } from '../stats.ts';

/** The index of the candidate SLOPE picks, among per-round terms (each a mean estimator's terms). */
export function slopeSelect(candidates: readonly Float64Array[], delta = 0.05): number {
  const C = Math.sqrt(6) - 1;
  const summary = candidates.map((terms) => {
    const n = terms.length;
    let total = 0;
    for (const term of terms) total += term;
    const mean = total / n;
    let squares = 0;
    for (const term of terms) squares += (term - mean) ** 2;
    const width = Math.sqrt(squares / n / (n - 1)) * tQuantile(1 - delta, n - 1);
    return { mean, width };
  });
  // Widest first (a stable sort: ties keep the candidates' order).
  const order = summary.map((_, i) => i).sort((a, b) => summary[b].width - summary[a].width);
  const accepted: number[] = [];
  for (const i of order) {
    const ok = accepted.every(
      (j) => Math.abs(summary[j].mean - summary[i].mean) <= summary[i].width + C * summary[j].width,
    );
    if (!ok) break;
    accepted.push(i);
  }
  return accepted[accepted.length - 1] ?? order[0];
}
