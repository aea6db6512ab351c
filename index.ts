// The library: what `import { ... } from 'slatelab'` gives (package.json `exports`, built into
// dist/ by `npm run build`, which `npm ci` runs). The worlds, policies and agents by name, the
// contracts to write new ones, configs validated as the CLI validates them, the experiment runner
// (the `slatelab run` machinery: seeds, worker threads, result files) and the one loop underneath.
// Everything else is internal and may change.

// Worlds: the registry of presets and the contract of a world.
export { worlds, defaultWorld } from './sim/presets/index.ts';
export { defineWorld, type WorldDefinition, type WorldOptions } from './sim/world.ts';
export type { Env, GroundTruth, Observation, Observability, SlateDecider, StepResult, WorldSpec } from './sim/env.ts';
export { SESSION_END } from './sim/env.ts';
export {
  defaultParams,
  resolveParams,
  type ParamIssue,
  type ParamSpec,
  type ParamSpecs,
  type ParamValues,
} from './sim/params.ts';
export { Rng, type SeedKey, type UniformSource } from './sim/rng.ts';

// Fixed policies: the registry and the contract.
export { policies } from './policies/index.ts';
export {
  createPolicy,
  definePolicy,
  type AnyPolicyDefinition,
  type OracleContext,
  type OracleDefinition,
  type Policy,
  type PolicyContext,
  type PolicyDefinition,
} from './policies/policy.ts';

// Learning agents: the registry, the contract, and the network backend agents with `nets` need
// (runExperiment loads it itself; call useBackend before evaluate/train on such an agent).
export { agents } from './agents/index.ts';
export {
  allocateAction,
  defineAgent,
  type Action,
  type Agent,
  type AgentContext,
  type AgentDefinition,
  type AgentStreams,
  type Mode,
  type TrainingStats,
  type Transition,
} from './agents/agent.ts';
export { policyAgent } from './agents/policy-agent.ts';
export { activeBackend, BACKENDS, useBackend, type BackendInfo, type BackendName } from './agents/nets/backend.ts';

// Experiment configs: a YAML/JSON file or a plain object, validated into a typed, defaulted config.
export {
  ConfigError,
  loadConfig,
  loadExperiment,
  validateConfig,
  validateExperiment,
  type AgentConfig,
  type ConfigOverrides,
  type ExperimentConfig,
  type TrainingConfig,
  type ValidExperiment,
} from './lab/config/config.ts';
export { defaultRegistries, type Registries } from './lab/config/registries.ts';
export { worldShape, type WorldShape } from './lab/config/world-shape.ts';

// The runner: every (agent, seed) run of a config, on worker threads, into a results folder.
export { runExperiment, type ExperimentOutcome, type Progress, type RunExperimentOptions } from './lab/run/runner.ts';
// The metrics every world reports (return, episodeLength, clicks), before its own.
export { CORE_METRICS } from './lab/config/episodes.ts';
export type { FailureRecord, MetricSummary, Summary, TrainingSummary, TuningSummary } from './lab/store/summary.ts';
// An experiment's directory afterwards: finish it, rebuild its reports, compare it with another.
export { resumeExperiment, type ResumeOptions, type ResumeOutcome } from './lab/run/resume.ts';
export { rebuildReports } from './lab/report/rebuild.ts';
export { MANIFEST_FORMAT, ManifestError, readManifest, type Manifest } from './lab/store/manifest.ts';
export { compareExperiments, comparisonText, type Comparison } from './lab/report/compare.ts';
// Scale-out: shards (runExperiment's `shard`) joined into one experiment; world sweeps, each world
// an experiment of its own; where and when each directory's runs ran (timeline.json).
export { MergeError, mergeShards, type MergeOutcome } from './lab/run/merge.ts';
export { loadWorldSweep, type WorldSweep, type WorldVariant } from './lab/config/world-sweep.ts';
export {
  mergeWorldSweeps,
  readSweep,
  rebuildWorldSweep,
  resumeWorldSweep,
  runWorldSweep,
  type SweepManifest,
  type WorldSweepOutcome,
} from './lab/run/world-sweep.ts';
export type { SweepSummary } from './lab/report/world-sweep.ts';
export { readTimeline, type Session, type Timeline } from './lab/store/timeline.ts';
// Before running: memory and time estimates (what `run --dry-run` prints).
export {
  checkMemory,
  estimateMemory,
  estimateTime,
  memoryBudget,
  PlanError,
  type MemoryPart,
  type RunMemory,
  type RunTime,
} from './lab/run/plan.ts';
// What runExperiment throws for a directory it cannot take (not new or empty) or that another process holds.
export { OutDirError } from './lab/store/outdir.ts';
export { LockError } from './lab/store/lock.ts';
// What a learning agent learned, saved with each run (runs/<agent>/seed-<s>.agent.json).
export { decodeState, encodeState, StateMismatch, type AgentState } from './agents/state.ts';
export { readSavedState } from './lab/store/saved-agent-file.ts';

// The loop under the runner: evaluate or train one agent in one world instance.
export {
  evaluate,
  runEpisodes,
  train,
  type EpisodeRecord,
  type RolloutTotals,
  type RoundReport,
  type RunEpisodesOptions,
  type TrainOptions,
} from './lab/loop/rollout.ts';
// A run's means over its episodes, and the world's run metrics (coverage, exposure) over what a call steps.
export { episodeMeans, withRunMetrics } from './lab/loop/agent-run.ts';

// Statistics over seeds.
export {
  ci95,
  mean,
  pairedDifferences,
  sampleSd,
  summarize,
  type PairedSummary,
  type SeedSummary,
} from './eval/stats.ts';

// Off-policy evaluation: interaction logs (config `log`) and the estimators, pure functions of logged data.
export {
  LOG_FORMAT,
  readInteractionLog,
  type Interaction,
  type InteractionLog,
  type LogColumn,
  type LogHeader,
} from './lab/store/interaction-log.ts';
export { epsilonLogging, LoggingPolicyError } from './agents/logging.ts';
export type { Estimate } from './eval/ope/estimate.ts';
export {
  dm,
  dr,
  drOs,
  importanceWeights,
  ips,
  sndr,
  snips,
  switchDr,
  type ActionDist,
  type BanditLog,
  type RewardPredictions,
} from './eval/ope/single-action.ts';
export {
  cascadeDr,
  independentIps,
  pseudoInverse,
  pseudoInverseIps,
  rewardInteractionIps,
  slateGamma,
  slateIps,
  type PseudoInversePage,
  type SlateLog,
  type SlateTarget,
} from './eval/ope/slate.ts';
