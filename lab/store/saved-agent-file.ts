// A saved agent's file (runs/<agent>/seed-<s>.agent.json): where it goes, its text (the state of
// Agent.save with what produced it) and its state read back. Apart from lab/config/init.ts,
// which resolves a config's `init:` against an experiment's manifest, because worker threads load
// it to start an agent from a saved state: no zod here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateFromJson, stateToJson, type AgentState } from '../../agents/state.ts';

export const SAVED_AGENT_FORMAT = 'slatelab-agent/1';

/** The saved state of (agent, seed), relative to the experiment directory. */
export function savedAgentPath(agent: string, seed: number): string {
  return join('runs', agent, `seed-${seed}.agent.json`);
}

/** What a saved agent's file says besides its state. */
export interface SavedAgentMeta {
  readonly experiment: string;
  readonly agent: string;
  readonly kind: string;
  readonly params: Record<string, unknown>;
  readonly world: { readonly preset: string; readonly params: Record<string, unknown> };
  readonly experimentSeed: number;
  readonly seed: number;
  /** Training user-steps of this run (not counting those of a state it started from). */
  readonly trainedSteps: number;
  /** The state it started from (config `init`), if any. */
  readonly startedFrom: { readonly from: string; readonly agent: string } | null;
  /** The network backend and TensorFlow.js version, for agents with networks. */
  readonly networks: { readonly backend: string; readonly tfjs: string } | null;
}

export function savedAgentText(meta: SavedAgentMeta, state: AgentState): string {
  return `${JSON.stringify({ format: SAVED_AGENT_FORMAT, ...meta, state: stateToJson(state) })}\n`;
}

/** The state saved in `file` (a run's .agent.json); a one-line error when it cannot be read. */
export function readSavedState(file: string): AgentState {
  let parsed: { format?: unknown; state?: unknown };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as { format?: unknown; state?: unknown };
  } catch (error) {
    throw new Error(`cannot read the saved agent ${file}: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error(`${file} is not a saved agent (not a JSON object)`);
  if (parsed.format !== SAVED_AGENT_FORMAT)
    throw new Error(
      `${file} is not a saved agent of this version (format ${JSON.stringify(parsed.format)}, ` +
        `expected ${SAVED_AGENT_FORMAT})`,
    );
  return stateFromJson(parsed.state);
}
