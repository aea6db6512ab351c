// `slatelab calibrate`: the feed world measured under a policy (sim/feed/calibration.ts
// FeedMeasurement, seeds pooled) next to the published figures it is calibrated to
// (FEED_REFERENCE), as a table or as one JSON object. A figure published under another policy than
// the one measured (return gaps under a personalised ranker, rates under a random one) is measured
// by also running that policy on the same seeds and users, and its row says so. The checks of the
// user's input (policy, episodes, config) are lab/cli/calibrate.ts's; this file measures and formats.
// Deterministic: the same setup gives the same figures and text, byte for byte.
import { type AnyPolicyDefinition, createPolicy } from '../../policies/policy.ts';
import {
  FEED_REFERENCE,
  FeedMeasurement,
  figureValue,
  LIFT_RATES,
  RATE_NAMES,
  STAND_IN,
  type CalibrationFigures,
  type InsertedFigures,
  type LiftRate,
  type ReferenceFigure,
} from '../../sim/feed/calibration.ts';
import { feed, type FeedEnv, type FeedParams } from '../../sim/feed/env.ts';
import { defaultParams } from '../../sim/params.ts';

/** Rows stepped together (the figures do not depend on it). */
export const CALIBRATION_BATCH = 64;
export const DEFAULT_CALIBRATION_EPISODES = 4000;
export const DEFAULT_CALIBRATION_POLICY = 'random';
/** The run seeds without a config (experiment seed 0). */
export const DEFAULT_CALIBRATION_RUNS: readonly number[] = [0, 1, 2];
/**
 * At most this many users (episodes x seeds) per policy: the measurement keeps every video
 * impression's watch ratio in memory as a 4-byte float, twice (all of them, and by length class),
 * in lists that grow by doubling: up to about 16 bytes an impression, and about 700-1,000 video
 * impressions per user under the production stand-in: several hundred MB at 50,000 users.
 */
export const MAX_CALIBRATION_USERS = 50_000;
/**
 * The share of the stand-in's (and the measured policy's) slots given to uniformly random videos by
 * default: about 250,000 inserted impressions under the stand-in in the default run (3 seeds x 4,000
 * users), so that the rarest rate (follow, 0.026%) rests on several dozen events; KuaiRand's
 * randomly exposed log is 0.37% of a far larger feed.
 */
export const DEFAULT_INSERT_SHARE = 0.02;
/** At most this share: the inserted videos must stay a small part of the policy's feed. */
export const MAX_INSERT_SHARE = 0.02;

export interface CalibrationSetup {
  /** The feed's parameters, every default filled in. */
  readonly params: FeedParams;
  /** The config the feed and seeds come from, or null for the default feed (named in the output). */
  readonly configFile: string | null;
  readonly experiment: number;
  readonly runs: readonly number[];
  /** Users per seed. */
  readonly episodes: number;
  /** The policy measured. */
  readonly policy: string;
  /** Share of the policy's slots shown a uniformly random video in its insertion run (0: none, no run). */
  readonly insertShare: number;
  /** Where policies are looked up (the measured one and the references' policies). */
  // biome-ignore lint/suspicious/noExplicitAny: each policy has its own parameter type
  readonly policies: Readonly<Record<string, AnyPolicyDefinition<any>>>;
}

export interface Calibration {
  readonly setup: CalibrationSetup;
  /** The figures of setup.policy. */
  readonly figures: CalibrationFigures;
  /** The figures of every policy run: setup.policy, then the references' other policies. */
  readonly byPolicy: Readonly<Record<string, CalibrationFigures>>;
  /**
   * The policy run once more on the same seeds and users with uniformly random videos inserted
   * (KuaiRand's randomly exposed log beside its production log). A run of its own, so the figures
   * above are the policy's alone whatever the share; with share 0 it is not run, and the policy's
   * figures stand in for its own rates.
   */
  readonly inserted: InsertedFigures;
  /** The policy's rate over the inserted videos' rate, per video impression, in the insertion run. */
  readonly lift: Readonly<Record<LiftRate, number>>;
}

/** A reference figure with the value it is compared with. */
export interface ReferenceRow extends ReferenceFigure {
  /** Whose figures the band is checked against: the reference's policy, or the catalog (any run). */
  readonly measuredUnder: string;
  /** The value compared with the band (NaN when nothing was measured). */
  readonly measured: number;
  readonly inBand: boolean;
  /** The figure under the measured policy itself (equal to `measured` where that is the policy compared). */
  readonly policyValue: number;
}

/** The registry policy a calibration's policy name runs (the stand-in is greedy-pctr). */
export function registryPolicy(name: string): string {
  return name === STAND_IN.name ? STAND_IN.policy : name;
}

/** The policies a calibration runs: the measured one, then the other policies the figures were published under. */
export function calibrationPolicies(policy: string): string[] {
  const names = [policy];
  for (const reference of FEED_REFERENCE)
    if (reference.policy !== 'catalog' && !names.includes(reference.policy)) names.push(reference.policy);
  return names;
}

/** `policy` over the setup's users, seed after seed, with `insertShare` of its slots inserted; a progress line a seed. */
function measure(
  setup: CalibrationSetup,
  policy: string,
  insertShare: number,
  progress: (line: string) => void,
  what: string,
): FeedMeasurement {
  const definition = setup.policies[registryPolicy(policy)];
  // The stand-in is greedy-pctr reading the users' true interests.
  const params = policy === STAND_IN.name ? { ...setup.params, observability: STAND_IN.observability } : setup.params;
  const measurement = new FeedMeasurement(policy, insertShare);
  setup.runs.forEach((run, i) => {
    progress(
      `${what}, seed ${i + 1}/${setup.runs.length} (experiment ${setup.experiment}, run ${run}): ` +
        `${setup.episodes} users`,
    );
    const seed = { experiment: setup.experiment, run };
    const env = feed.create(params, { seed, batchSize: CALIBRATION_BATCH }) as FeedEnv;
    measurement.add(env, createPolicy(definition, defaultParams(definition.params), env), seed, setup.episodes);
  });
  return measurement;
}

/**
 * Runs the feed under each policy of calibrationPolicies, seed after seed; `progress` gets one line per (policy, seed).
 */
export function runCalibration(setup: CalibrationSetup, progress: (line: string) => void): Calibration {
  const byPolicy: Record<string, CalibrationFigures> = {};
  const insertion = (policy: string) => `calibrate: ${policy} with ${setup.insertShare * 100}% random videos inserted`;
  for (const policy of calibrationPolicies(setup.policy)) {
    // The stand-in's own run carries the insertions its figures are measured on (as KuaiRand's
    // production log held its randomly exposed one); every other policy runs alone.
    const share = policy === STAND_IN.name ? setup.insertShare : 0;
    const what = share > 0 ? insertion(policy) : `calibrate: ${policy}`;
    byPolicy[policy] = measure(setup, policy, share, progress, what).figures();
  }
  const figures = byPolicy[setup.policy];
  let { inserted, lift } = figures;
  if (setup.insertShare > 0 && inserted.share === 0) {
    const run = measure(setup, setup.policy, setup.insertShare, progress, insertion(setup.policy)).figures();
    inserted = run.inserted;
    lift = run.lift;
  }
  return { setup, figures, byPolicy, inserted, lift };
}

/** FEED_REFERENCE, each figure with its measured value (under its own policy) and whether it is in its band. */
export function referenceRows(calibration: Calibration): ReferenceRow[] {
  const { figures, byPolicy } = calibration;
  return FEED_REFERENCE.map((reference) => {
    const measuredUnder = reference.policy;
    const measured = figureValue(
      reference.policy === 'catalog' ? figures : byPolicy[reference.policy],
      reference.figure,
    );
    return {
      ...reference,
      measuredUnder,
      measured,
      inBand: measured >= reference.low && measured <= reference.high,
      policyValue: figureValue(figures, reference.figure),
    };
  });
}

/** The one JSON object of `calibrate --json` (NaN, e.g. a median over no impressions, becomes null). */
export function calibrationJson(calibration: Calibration): string {
  const { setup, figures } = calibration;
  return `${JSON.stringify({
    ...figures,
    config: setup.configFile,
    experimentSeed: setup.experiment,
    seeds: setup.runs,
    episodes: setup.episodes,
    batchSize: CALIBRATION_BATCH,
    reference: referenceRows(calibration),
    inserted: calibration.inserted,
    lift: calibration.lift,
  })}\n`;
}

/** A published figure or bound: three significant digits, without trailing zeros. */
export function formatFigure(value: number): string {
  return String(Number(value.toPrecision(3)));
}

/** A measured figure: three significant digits, trailing zeros kept (whole above 1000); "n/a" for NaN. */
export function formatMeasured(value: number): string {
  if (Number.isNaN(value)) return 'n/a';
  return Math.abs(value) >= 1000 ? String(Math.round(value)) : value.toPrecision(3);
}

/** Columns padded to their widest cell, two spaces apart; `right` says which are right-aligned. */
function alignedTable(rows: readonly string[][], right: readonly boolean[]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (right[column] ? cell.padStart(widths[column]) : cell.padEnd(widths[column])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** A count with thousands separators (fixed, not the locale's). */
function formatCount(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * The readable report of `calibrate`: the reference table, the sources, and the figures without a published
 * counterpart.
 */
export function calibrationText(calibration: Calibration): string {
  const { setup, figures, byPolicy } = calibration;
  const { policy } = setup;
  const rows = referenceRows(calibration);
  const others = Object.keys(byPolicy).filter((name) => name !== policy);
  const lines: string[] = [];
  const world = setup.configFile === null ? 'the default feed' : `the feed of ${setup.configFile}`;
  lines.push(
    `${world} under ${policy}: ${setup.runs.length} seed${setup.runs.length === 1 ? '' : 's'} ` +
      `(experiment ${setup.experiment}, runs ${setup.runs.join(', ')}) x ` +
      `${formatCount(setup.episodes)} users, pooled`,
  );
  lines.push(
    `${formatCount(figures.users)} users, ${formatCount(figures.impressions)} video ` +
      `impressions, ${formatCount(figures.returns)} returns`,
  );
  if (others.length > 0)
    lines.push(
      `also run on the same seeds and users, for the figures published under ` +
        `${others.length === 1 ? 'it' : 'them'}: ${others.join(', ')}`,
    );
  lines.push('');

  const sources: string[] = [];
  const sourceNumber = (source: string): number => {
    if (!sources.includes(source)) sources.push(source);
    return sources.indexOf(source) + 1;
  };
  const elsewhere = (row: ReferenceRow): boolean => row.measuredUnder !== 'catalog' && row.measuredUnder !== policy;
  // Where a figure is compared under another policy, a column gives the measured policy's own value.
  const ownColumn = rows.some(elsewhere);
  const header = ['figure', 'measured', 'measured under', 'published', 'band', 'in band', 'source'];
  const table = [ownColumn ? [...header, `${policy} itself`] : header];
  for (const row of rows) {
    const cells = [
      row.figure,
      formatMeasured(row.measured),
      elsewhere(row) ? `${row.measuredUnder} *` : row.measuredUnder,
      typeof row.value === 'number' ? formatFigure(row.value) : row.value,
      `${formatFigure(row.low)} - ${formatFigure(row.high)}`,
      Number.isNaN(row.measured) ? 'n/a' : row.inBand ? 'yes' : 'NO',
      `[${sourceNumber(row.source)}]`,
    ];
    table.push(ownColumn ? [...cells, elsewhere(row) ? formatMeasured(row.policyValue) : ''] : cells);
  }
  // Numbers right-aligned, words left-aligned.
  lines.push(alignedTable(table, [false, true, false, true, false, false, false, true]));
  lines.push('');
  const inBand = rows.filter((row) => row.inBand).length;
  lines.push(`${inBand} of ${rows.length} figures in their bands.`);
  if (ownColumn) {
    lines.push(
      `* published under another policy than ${policy}, so measured under that policy, run ` +
        `alongside on the same seeds and users; "${policy} itself" is ${policy}'s own value.`,
    );
  }
  lines.push('');
  lines.push('Sources (docs/world-feed.md#calibration has them in full):');
  sources.forEach((source, i) => {
    lines.push(`  [${i + 1}] ${source}`);
  });
  lines.push('');

  const { pagesPerSession, watchRatioByLength, viewRateBySlot, photos } = figures;
  const photoRates = RATE_NAMES.map((name) => `${name} ${formatMeasured(photos.rates[name])}`).join(', ');
  lines.push(`Under ${policy}, without a published counterpart:`);
  const details = [
    [
      '  pages per session',
      `median ${Number.isNaN(pagesPerSession.median) ? 'n/a' : pagesPerSession.median}, mean ` +
        `${formatMeasured(pagesPerSession.mean)}`,
    ],
    [
      '  watch ratio by length',
      `median ${formatMeasured(watchRatioByLength.short)} up to 30 s, ` +
        `${formatMeasured(watchRatioByLength.medium)} at 30-120 s, ` +
        `${formatMeasured(watchRatioByLength.long)} over 120 s`,
    ],
    ['  view rate by slot', viewRateBySlot.map((rate, slot) => `${slot + 1}: ${formatMeasured(rate)}`).join(', ')],
    [
      '  photos',
      `${formatCount(photos.impressions)} impressions, median length ` +
        `${formatMeasured(photos.medianSeconds)} s; per impression: ${photoRates}`,
    ],
  ];
  const width = Math.max(...details.map(([name]) => name.length));
  for (const [name, text] of details) lines.push(`${name.padEnd(width)}  ${text}`);
  lines.push('');
  lines.push('Days and sessions under every policy run (churned users count as inactive):');
  const dayTable = [
    [
      'policy',
      'stickiness',
      'sessions/active day',
      'minutes/active day',
      'churned',
      'pages/session',
      'ended by choice',
    ],
  ];
  for (const [name, run] of Object.entries(byPolicy))
    dayTable.push([
      name,
      formatMeasured(run.days.stickiness),
      formatMeasured(run.days.sessionsPerActiveDay),
      formatMeasured(run.days.minutesPerActiveDay),
      `${formatMeasured(run.days.churned * 100)}%`,
      `median ${run.pagesPerSession.median}, mean ${formatMeasured(run.pagesPerSession.mean)}`,
      `${formatMeasured(run.sessionEnds.byChoice * 100)}%`,
    ]);
  lines.push(alignedTable(dayTable, [false, true, true, true, true, false, true]).replace(/^/gm, '  '));
  lines.push(
    '  (Kuaishou: 129-132 minutes per daily active user; dynamics.sameDayReturn is the lever, docs/world-feed.md)',
  );
  const { inserted, lift } = calibration;
  if (inserted.share > 0) {
    lines.push('');
    lines.push(
      `${policy} run again on the same seeds and users with ${formatFigure(inserted.share * 100)}% of its ` +
        `slots showing a video drawn uniformly from the catalog's videos (as KuaiRand's randomly exposed log), ` +
        `per video impression:`,
    );
    const insertTable = [
      ['', 'impressions', ...LIFT_RATES],
      [
        `${policy}'s own`,
        formatCount(inserted.policyImpressions),
        ...LIFT_RATES.map((name) => formatMeasured(inserted.policyRates[name])),
      ],
      [
        'inserted',
        formatCount(inserted.impressions),
        ...LIFT_RATES.map((name) => formatMeasured(inserted.rates[name])),
      ],
      ['lift (own / inserted)', '', ...LIFT_RATES.map((name) => formatMeasured(lift[name]))],
    ];
    lines.push(alignedTable(insertTable, [false, true, true, true, true, true]).replace(/^/gm, '  '));
  }
  return `${lines.join('\n')}\n`;
}
