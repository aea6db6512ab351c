// Feed parameter values for tests: the defaults with some fields overridden, groups merged deeply.
import { defaultParams } from '../../sim/params.ts';
import { feedParams, type FeedParams } from '../../sim/feed/env.ts';

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

export function feedValues(overrides: DeepPartial<FeedParams> = {}): FeedParams {
  const values = defaultParams(feedParams) as FeedParams;
  const merge = (target: Record<string, unknown>, source: Record<string, unknown>): void => {
    for (const [key, value] of Object.entries(source)) {
      if (typeof value === 'object' && value !== null)
        merge(target[key] as Record<string, unknown>, value as Record<string, unknown>);
      else target[key] = value;
    }
  };
  merge(values as unknown as Record<string, unknown>, overrides as Record<string, unknown>);
  return values;
}
