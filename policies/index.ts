// The registry of policies (and, later, agents): one line each. It feeds config validation and `slatelab list`.
import { chronologicalPolicy } from './chronological.ts';
import { greedyPctrPolicy } from './greedy-pctr.ts';
import { oracleMyopicPolicy, oracleQualityPolicy } from './oracles.ts';
import type { AnyPolicyDefinition } from './policy.ts';
import { popularPolicy } from './popular.ts';
import { randomPolicy } from './random.ts';

// biome-ignore lint/suspicious/noExplicitAny: each definition has its own parameter type; a registry holds them all
export const policies: Readonly<Record<string, AnyPolicyDefinition<any>>> = {
  random: randomPolicy,
  popular: popularPolicy,
  chronological: chronologicalPolicy,
  'greedy-pctr': greedyPctrPolicy,
  'oracle-myopic': oracleMyopicPolicy,
  'oracle-quality': oracleQualityPolicy,
};
