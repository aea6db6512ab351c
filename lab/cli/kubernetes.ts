// `slatelab kubernetes CONFIG --shards n --out DIR`: the manifests that run an experiment on
// Kubernetes: an Indexed Job (completionMode: Indexed), one shard per completion index
// (`run --shard $JOB_COMPLETION_INDEX/n`), every pod writing into one shared volume, and a merge Job
// to apply once it has finished. slatelab splits and merges; Kubernetes schedules.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { plannedRuns } from './world-sweep.ts';
import type { Command } from './command.ts';
import { UsageError } from './errors.ts';
import { positiveInt, singleString } from './options.ts';

export interface KubernetesOptions {
  readonly name: string;
  /** The config's path inside the pods. */
  readonly config: string;
  readonly shards: number;
  /** The image with slatelab (and the config) in it. */
  readonly image: string;
  /** The PersistentVolumeClaim every pod mounts at `results`. */
  readonly claim: string;
  /** Where the shared volume is mounted in the pods. */
  readonly results: string;
  /** The command that runs slatelab in the pods. */
  readonly slatelab: string;
  readonly cpus: number;
}

/** A Kubernetes object name from the experiment's: lowercase letters, digits and -, at most 52. */
function objectName(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'slatelab'
  ).slice(0, 52);
}

function job(options: KubernetesOptions, suffix: string, command: string, indexed: boolean): unknown {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: `${objectName(options.name)}-${suffix}` },
    spec: {
      ...(indexed
        ? {
            completionMode: 'Indexed',
            completions: options.shards,
            parallelism: options.shards,
            backoffLimitPerIndex: 1,
          }
        : { completions: 1, backoffLimit: 0 }),
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'slatelab',
              image: options.image,
              command: ['sh', '-c', command],
              resources: { requests: { cpu: String(options.cpus) } },
              volumeMounts: [{ name: 'results', mountPath: options.results }],
            },
          ],
          volumes: [{ name: 'results', persistentVolumeClaim: { claimName: options.claim } }],
        },
      },
    },
  };
}

/** The shard command a pod runs (JOB_COMPLETION_INDEX is set by Kubernetes in an Indexed Job). */
export function shardCommand(options: KubernetesOptions): string {
  return (
    `${options.slatelab} run '${options.config}' --shard "$JOB_COMPLETION_INDEX/${options.shards}" ` +
    `--out "${options.results}/shards/$JOB_COMPLETION_INDEX" --threads ${options.cpus}`
  );
}

export function mergeCommand(options: KubernetesOptions): string {
  const shards = Array.from({ length: options.shards }, (_, i) => `"${options.results}/shards/${i}"`).join(' ');
  return `${options.slatelab} merge ${shards} --out "${options.results}/merged" --replace`;
}

/** The Indexed Job and the merge Job, as YAML. */
export function kubernetesManifests(options: KubernetesOptions): { shards: string; merge: string } {
  return {
    shards: stringify(job(options, 'shards', shardCommand(options), true)),
    merge: stringify(job(options, 'merge', mergeCommand(options), false)),
  };
}

export const kubernetesCommand: Command = {
  usage: 'kubernetes <config>',
  describe: 'write the Kubernetes Indexed Job that runs an experiment in shards, and its merge Job',
  missing:
    'kubernetes: name an experiment config, e.g. slatelab kubernetes experiments/quickstart.yaml --shards 4 --out jobs/k8s --image my/slatelab',
  options: (y) =>
    y
      .positional('config', {
        type: 'string',
        demandOption: true,
        describe: 'experiment config file (its path in the image, relative to the working directory)',
      })
      .option('shards', { type: 'string', describe: 'completion indexes, one shard of the runs each' })
      .option('out', { type: 'string', describe: 'where the manifests go' })
      .option('image', { type: 'string', describe: 'the container image with slatelab and the config' })
      .option('claim', {
        type: 'string',
        default: 'slatelab-results',
        describe: 'the PersistentVolumeClaim every pod writes to',
      })
      .option('results', { type: 'string', default: '/results', describe: 'where the pods mount it' })
      .option('slatelab', {
        type: 'string',
        default: 'npx slatelab',
        describe: 'the command that runs slatelab in the image',
      })
      .option('cpus', { type: 'string', describe: 'CPUs per pod, and threads per shard (default 1)' }),
  run: async (args, { io, registries }) => {
    const file = String(args.config);
    const shards = positiveInt('--shards', args.shards);
    const out = singleString('--out', args.out, 'a directory', 'jobs/k8s');
    const image = singleString('--image', args.image, 'an image', 'registry.example/slatelab:latest');
    if (shards === undefined) throw new UsageError('kubernetes: say how many shards with --shards N');
    if (out === undefined) throw new UsageError('kubernetes: say where the manifests go with --out DIR');
    if (image === undefined) throw new UsageError('kubernetes: name the image with slatelab in it with --image IMAGE');
    const planned = await plannedRuns(file, registries);
    const runs = planned.total;
    // A world sweep's shard index slices every world alike: its bound is a world's runs.
    if (shards > planned.perWorld)
      throw new UsageError(
        `kubernetes: --shards ${shards} is more than the ${planned.perWorld} runs${planned.perWorld < runs ? ' of each world' : ''}; give at most ${planned.perWorld}`,
      );
    const options: KubernetesOptions = {
      name: planned.name,
      config: file,
      shards,
      image,
      claim: String(args.claim),
      results: String(args.results),
      slatelab: String(args.slatelab),
      cpus: positiveInt('--cpus', args.cpus) ?? 1,
    };
    const manifests = kubernetesManifests(options);
    const dir = resolve(out);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'shards-job.yaml'), manifests.shards);
    writeFileSync(join(dir, 'merge-job.yaml'), manifests.merge);
    io.stdout(
      `wrote ${join(dir, 'shards-job.yaml')} (an Indexed Job of ${shards} over ${runs} runs) and ${join(dir, 'merge-job.yaml')}\n` +
        `run: kubectl apply -f ${join(dir, 'shards-job.yaml')}; kubectl wait --for=condition=complete --timeout=24h ` +
        `job/${objectName(planned.name)}-shards; kubectl apply -f ${join(dir, 'merge-job.yaml')}\n`,
    );
    return 0;
  },
};
