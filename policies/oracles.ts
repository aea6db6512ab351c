// Oracles: rank by the world's ground truth. Evaluation-only reference points (no real
// recommender knows hidden quality or clickbait): the myopic one shows what maximising immediate
// reward gets, the quality one what weighing the long run gets.
import { defineOracle, type OracleContext } from './policy.ts';
import { topKByScore } from './slate.ts';

function oracle(context: OracleContext, value: (out: Float32Array) => void) {
  const { batchSize, numCandidates, slateSize } = context.spec;
  const values = new Float32Array(batchSize * numCandidates); // B x N
  return {
    act(observation: { active: Uint8Array }, _rowRngs: unknown, slates: Int32Array) {
      value(values);
      topKByScore(values, observation.active, numCandidates, slateSize, slates);
    },
  };
}

export const oracleMyopicPolicy = defineOracle({
  name: 'oracle-myopic',
  summary: 'Evaluation-only: top K by ground-truth expected immediate reward (clickbait included).',
  params: {},
  evaluationOnly: true,
  createWithTruth: (_values, context) => oracle(context, (out) => context.truth.immediateValue(out)),
});

export const oracleQualityPolicy = defineOracle({
  name: 'oracle-quality',
  summary: 'Evaluation-only: top K by ground-truth immediate reward plus a weight on long-term effects (quality).',
  params: {
    qualityWeight: {
      type: 'number',
      default: 1,
      min: 0,
      doc: 'weight of the long-term (quality, satisfaction) term against immediate reward',
    },
  },
  evaluationOnly: true,
  createWithTruth: (values, context) =>
    oracle(context, (out) => context.truth.longTermValue(values.qualityWeight, out)),
});
