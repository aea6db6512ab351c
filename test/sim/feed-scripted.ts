// Hand-built feed users and scripted uniforms, shared by the scripted feed tests
// (feed-dynamics.test.ts, feed-response.test.ts): ResponseModel.examine driven draw by draw.
import type { FeedEnv } from '../../sim/feed/env.ts';
import { DEVICE_PHONE, type UserBatch } from '../../sim/feed/users.ts';
import type { Rng } from '../../sim/rng.ts';

/**
 * Resets `row` (a new user: no fatigue, history, creator ring or skips yet) and then overwrites
 * the drawn traits and state with neutral, known ones; the session's device is `device` (a phone
 * unless told).
 */
export function handBuilt(
  env: FeedEnv,
  row = 0,
  o: {
    interest?: number;
    satisfaction?: number;
    susceptibility?: number;
    followPropensity?: number;
    device?: number;
  } = {},
): UserBatch {
  env.resetRow(row, 0);
  const u = env.users;
  const T = u.topics;
  for (let t = 0; t < T; t++) u.interests[row * T + t] = o.interest ?? 0;
  u.satisfaction[row] = o.satisfaction ?? 0;
  u.susceptibility[row] = o.susceptibility ?? 0;
  u.followPropensity[row] = o.followPropensity ?? 0;
  u.clearFollows(row);
  u.budgetLeftMinutes[row] = 1e6;
  u.patience[row] = 1000;
  u.sessionPatience[row] = 1000;
  u.device[row] = o.device ?? DEVICE_PHONE;
  u.nowHours[row] = 12;
  return u;
}

/** A source of uniforms that replays `draws` (ResponseModel.examine only calls uniform()). */
export function scripted(draws: readonly number[]): Rng & { readonly used: number } {
  let used = 0;
  return {
    uniform() {
      if (used >= draws.length) throw new Error('the script ran out of draws');
      return draws[used++];
    },
    get used() {
      return used;
    },
  } as unknown as Rng & { readonly used: number };
}

/** A uniform whose high 16 bits are `high` (0..65535) and whose low half is `low` in [0, 1). */
export const pair = (high: number, low: number): number => (high + low) / 65536;
