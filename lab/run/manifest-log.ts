// The manifest of a running experiment: what has finished, failed or been interrupted so far,
// rewritten as runs settle so that a killed experiment's manifest lists the runs whose files are
// on disk (resume relies on it). The file's schema and writing are lab/store/manifest.ts's.
import type { ExperimentConfig } from '../config/config.ts';
import { writeManifest, type Manifest, type Provenance, type ResumeRecord, type RunEntry } from '../store/manifest.ts';
import type { FailureRecord } from '../store/summary.ts';
import { runOrder, type RunName, type RunOrder } from './run-order.ts';

export interface ManifestLogOptions {
  readonly outDir: string;
  readonly config: ExperimentConfig;
  readonly configFile: string | null;
  /** What runs the experiment now. */
  readonly here: Provenance;
  /** A resume's: what started the experiment and the resumes before this one (the manifest keeps them). */
  readonly earlier?: { readonly provenance: Provenance; readonly resumes: readonly ResumeRecord[] };
  /** Runs that finished before (a resume). */
  readonly done?: readonly RunEntry[];
  /** The user files the config's kinds name, with their code's hash (Manifest.userCode). */
  readonly userCode?: Manifest['userCode'];
  /** A shard's slice of the runs (Manifest.shard). */
  readonly shard?: Manifest['shard'];
}

export class ManifestLog {
  readonly runs: RunEntry[];
  readonly failures: FailureRecord[] = [];
  /** Runs that never finished because the experiment was interrupted (Ctrl-C). */
  interrupted: RunName[] = [];
  /**
   * False until summary, charts and reports are written: an interrupted experiment's manifest
   * still lists the runs that finished.
   */
  complete = false;
  private readonly order: RunOrder;
  private readonly doneBefore: number;
  private written = performance.now();
  private pending: NodeJS.Timeout | null = null;

  constructor(private readonly options: ManifestLogOptions) {
    this.runs = [...(options.done ?? [])];
    this.doneBefore = this.runs.length;
    this.order = runOrder(options.config);
  }

  /** What started the experiment: a resume keeps the start's provenance (its reports show that). */
  get started(): Provenance {
    return this.options.earlier?.provenance ?? this.options.here;
  }

  sortedRuns(): RunEntry[] {
    return this.order.sorted(this.runs);
  }

  sortedFailures(): FailureRecord[] {
    return this.order.sorted(this.failures);
  }

  /** The manifest as it stands. */
  manifest(): Omit<Manifest, 'format'> {
    const { config, configFile, here, earlier, userCode } = this.options;
    // A resume says what ran the runs it added (counted as they finish).
    const provenance: Provenance & Pick<Manifest, 'resumes'> = earlier
      ? { ...earlier.provenance, resumes: [...earlier.resumes, { ...here, runs: this.runs.length - this.doneBefore }] }
      : here;
    return {
      name: config.name,
      configFile,
      config,
      seeds: config.seeds,
      ...provenance,
      ...(userCode && Object.keys(userCode).length > 0 ? { userCode } : {}),
      complete: this.complete,
      runs: this.sortedRuns(),
      failures: this.sortedFailures(),
      interrupted: this.interrupted,
      ...(this.options.shard ? { shard: this.options.shard } : {}),
    };
  }

  /** Writes the manifest now (and drops a refresh that was waiting). */
  write(): void {
    if (this.pending !== null) clearTimeout(this.pending);
    this.pending = null;
    writeManifest(this.options.outDir, this.manifest());
    this.written = performance.now();
  }

  /**
   * After each settled run: every time for the first 100 runs, then at most once a second (a
   * timer writes what a skipped refresh left out), so a long experiment does not rewrite a
   * manifest of thousands of runs thousands of times. The clock decides only when the file is
   * refreshed; the final manifest is the same whatever it says.
   */
  refresh(): void {
    const wait = 1000 - (performance.now() - this.written);
    if (this.runs.length + this.failures.length <= 100 || wait <= 0) this.write();
    else this.pending ??= setTimeout(() => this.write(), wait);
  }

  /** The runs of `all` that neither finished nor failed. */
  unsettled(all: readonly RunName[]): RunName[] {
    const settled = new Set([...this.runs, ...this.failures].map(this.order.index));
    return all.filter((run) => !settled.has(this.order.index(run)));
  }
}
