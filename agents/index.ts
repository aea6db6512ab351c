// The registry of learning agents: one line each. With the policies' registry it feeds config
// validation and `slatelab list`; a config's `kind` names a policy or an agent.
import type { AgentDefinition } from './agent.ts';
import { epsilonGreedy } from './bandits/epsilon-greedy.ts';
import { linTs } from './bandits/lin-ts.ts';
import { linucb } from './bandits/linucb.ts';
import { thompson } from './bandits/thompson.ts';
import { ucb1 } from './bandits/ucb1.ts';
import { pctr } from './supervised/pctr.ts';
import { ranker } from './supervised/ranker.ts';
import { clusterBandit } from './supervised/cluster.ts';
import { reinforce } from './rl/reinforce.ts';
import { slateq } from './rl/slateq.ts';

// biome-ignore lint/suspicious/noExplicitAny: each definition has its own parameter type; a registry holds them all
export const agents: Readonly<Record<string, AgentDefinition<any>>> = {
  'epsilon-greedy': epsilonGreedy,
  ucb1,
  thompson,
  linucb,
  'lin-ts': linTs,
  pctr,
  ranker,
  cluster: clusterBandit,
  slateq,
  reinforce,
};
