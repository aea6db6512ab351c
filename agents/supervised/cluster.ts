// The cluster bandit: users grouped by k-means over what the recommender sees of them (their
// feature vector, by default the engagement history), and one epsilon-greedy bandit over arms per
// group, so that users with similar tastes share what was learned about the arms. It re-clusters
// as data grows: every `reclusterEvery` training steps k-means runs on the users seen so far, and
// each cluster's arm statistics are recounted from the log of impressions under the new clusters.
// Before the first clustering every user is in one cluster (a plain epsilon-greedy bandit).
import { EpsilonSlates } from '../exploration.ts';
import type { Observation } from '../../sim/env.ts';
import { defineAgent, type TrainingStats } from '../agent.ts';
import { StateReader } from '../state.ts';
import { examinationWeights, needsArms, rowsOf, slotEvidence } from '../bandits/common.ts';
import { topKByScore } from '../../policies/slate.ts';
import { kmeans, nearestCentre } from './kmeans.ts';

export const clusterBandit = defineAgent({
  name: 'cluster',
  summary:
    'Cluster bandit: k-means groups users by their features; an epsilon-greedy bandit over ' +
    'arms per group, re-clustered as data grows.',
  family: 'supervised',
  learns: 'user clusters (k-means over user features) and, per cluster, the click rate of each arm (position-weighted)',
  params: {
    clusters: { type: 'int', default: 6, min: 1, max: 1000, doc: 'k: user clusters' },
    epsilon: {
      type: 'number',
      default: 0.1,
      min: 0,
      max: 1,
      doc: 'probability of a uniformly random slate while training (exact propensities)',
    },
    reclusterEvery: { type: 'int', default: 5000, min: 1, doc: 'training user-steps between re-clusterings' },
    usersKept: {
      type: 'int',
      default: 20_000,
      min: 1,
      max: 10_000_000,
      doc: 'user feature vectors kept for k-means (one per request; the oldest overwritten)',
    },
    logSize: {
      type: 'int',
      default: 200_000,
      min: 1,
      max: 10_000_000,
      doc: 'impressions kept to recount the statistics after a re-clustering',
    },
    priorWeight: {
      type: 'number',
      default: 2,
      min: 0,
      doc: "an arm's estimate shrinks to the overall click rate with the weight of this many pulls",
    },
  },
  unsupported: (spec) => needsArms(spec),
  updateEvery: (hp) => hp.reclusterEvery,
  // The users kept and the log (float32 user features, arm, weight, click), the per-cluster statistics, the scores.
  memory: (hp, spec) =>
    4 * (hp.usersKept + hp.logSize) * spec.userFeatureDim +
    9 * hp.logSize +
    16 * hp.clusters * spec.armCount +
    8 * hp.clusters * spec.userFeatureDim +
    8 * spec.batchSize * spec.numCandidates,
  create: (hp, { spec, streams }) => {
    const { numCandidates: n, slateSize: k, batchSize: b, userFeatureDim: u, armCount: arms, clickSignal } = spec;
    const signalCount = spec.signalNames.length;
    const weights = examinationWeights(spec);
    // Per cluster and arm: effective pulls (slotEvidence: a seen slot, or its examination chance) and clicks.
    const pulls = new Float64Array(hp.clusters * arms);
    const clicks = new Float64Array(hp.clusters * arms);
    let totalPulls = 0;
    let totalClicks = 0;
    let centres: Float64Array | null = null;
    let inertia = Number.NaN;
    // Users seen (one feature vector per request) and the impressions (the user's vector, arm, weight, click).
    const users = new Float32Array(hp.usersKept * u);
    let usersAdded = 0;
    const logUsers = new Float32Array(hp.logSize * u);
    const logArm = new Int32Array(hp.logSize);
    const logWeight = new Float32Array(hp.logSize);
    const logClick = new Uint8Array(hp.logSize);
    let logged = 0;
    let sinceRecluster = 0;
    const scores = new Float64Array(b * n);

    const clusterOf = (features: Float32Array, offset: number): number =>
      centres === null || u === 0 ? 0 : nearestCentre(centres, hp.clusters, u, features, offset);
    const estimate = (cluster: number, arm: number): number => {
      const prior = totalPulls > 0 ? totalClicks / totalPulls : 0.5;
      const at = cluster * arms + arm;
      return (clicks[at] + hp.priorWeight * prior) / (pulls[at] + hp.priorWeight);
    };
    const count = (cluster: number, arm: number, weight: number, click: number): void => {
      pulls[cluster * arms + arm] += weight;
      // A click counts whole: clicks / pulls then estimates the arm's chance of a click once
      // examined (weighing the click too would leave the position bias in).
      clicks[cluster * arms + arm] += click;
      totalPulls += weight;
      totalClicks += click;
    };
    const recluster = (): void => {
      const kept = Math.min(usersAdded, hp.usersKept);
      if (kept < hp.clusters || u === 0) return;
      const clustering = kmeans(users.subarray(0, kept * u), u, { k: hp.clusters, restarts: 2 }, streams.update);
      centres = clustering.centres;
      inertia = clustering.inertia;
      // Recount every logged impression under the new clusters.
      pulls.fill(0);
      clicks.fill(0);
      totalPulls = 0;
      totalClicks = 0;
      const held = Math.min(logged, hp.logSize);
      for (let i = 0; i < held; i++) count(clusterOf(logUsers, i * u), logArm[i], logWeight[i], logClick[i]);
    };

    const exploration = new EpsilonSlates(spec);
    return {
      act(observation: Observation, rowRngs, action, mode) {
        const rows = rowsOf(observation);
        for (let row = 0; row < rows; row++) {
          if (observation.active[row] === 0) continue;
          const cluster = clusterOf(observation.userFeatures, row * u);
          for (let c = 0; c < n; c++) scores[row * n + c] = estimate(cluster, observation.candidateArms[row * n + c]);
        }
        topKByScore(scores, observation.active, n, k, action.slates);
        const epsilon = mode === 'train' ? hp.epsilon : 0;
        exploration.explore(observation, rows, rowRngs, action, epsilon);
      },
      slotMarginals(row, out) {
        exploration.slotMarginals(row, out);
      },
      observe(transition) {
        const { before, action, signals, impressions, episode } = transition;
        for (let row = 0; row < episode.length; row++) {
          if (episode[row] < 0) continue;
          sinceRecluster++;
          copyRow(before.userFeatures, row * u, users, (usersAdded % hp.usersKept) * u, u);
          usersAdded++;
          const cluster = clusterOf(before.userFeatures, row * u);
          for (let slot = 0; slot < k; slot++) {
            const weight = slotEvidence(spec, weights, impressions, row, slot);
            if (weight === 0) continue;
            const arm = before.candidateArms[row * n + action.slates[row * k + slot]];
            const click = signals[(row * k + slot) * signalCount + clickSignal] > 0 ? 1 : 0;
            count(cluster, arm, weight, click);
            const at = logged % hp.logSize;
            copyRow(before.userFeatures, row * u, logUsers, at * u, u);
            logArm[at] = arm;
            logWeight[at] = weight;
            logClick[at] = click;
            logged++;
          }
        }
      },
      update(): TrainingStats {
        if (sinceRecluster >= hp.reclusterEvery) {
          sinceRecluster = 0;
          recluster();
        }
        return Number.isNaN(inertia) ? { epsilon: hp.epsilon } : { epsilon: hp.epsilon, inertia };
      },
      // The clusters and their arm statistics; the users and impressions kept to re-cluster are training buffers.
      save: () => ({
        centres: centres ? Float64Array.from(centres) : null,
        inertia,
        pulls: Float64Array.from(pulls),
        clicks: Float64Array.from(clicks),
        totalPulls,
        totalClicks,
      }),
      load(state) {
        const saved = new StateReader(state, 'cluster bandit');
        centres =
          saved.optional('centres') === null ? null : Float64Array.from(saved.arrayOf('centres', hp.clusters * u));
        inertia = saved.number('inertia');
        saved.array('pulls', pulls);
        saved.array('clicks', clicks);
        totalPulls = saved.number('totalPulls');
        totalClicks = saved.number('totalClicks');
      },
    };
  },
});

/** to[toBase ..) = from[fromBase ..), `count` values (a loop: no view object per training row). */
function copyRow(from: Float32Array, fromBase: number, to: Float32Array, toBase: number, count: number): void {
  for (let i = 0; i < count; i++) to[toBase + i] = from[fromBase + i];
}
