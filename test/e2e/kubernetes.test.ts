// `slatelab kubernetes`: the Indexed Job's manifest, rendered, and its pods' commands run here the
// way Kubernetes runs them (each with its JOB_COMPLETION_INDEX, sharing one results volume), then
// the merge Job's: the one-machine results, byte for byte.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { clusterHome, expectSameResults, slatelabBin, writeExperiment } from './cluster-helpers.ts';

const { home, run, slatelab } = clusterHome('slatelab-k8s-');
const bin = `${process.execPath} ${slatelabBin}`;

interface JobManifest {
  kind: string;
  spec: {
    completionMode?: string;
    completions: number;
    parallelism?: number;
    template: {
      spec: {
        containers: { image: string; command: string[] }[];
        volumes: { persistentVolumeClaim: { claimName: string } }[];
      };
    };
  };
}

describe('slatelab kubernetes', () => {
  it('renders an Indexed Job and a merge Job whose commands, run as the pods would, give the one-machine results', () => {
    writeExperiment(home, 'Indexed_Exp');
    const volume = join(home, 'volume');
    const wrote = slatelab(
      'kubernetes',
      'exp.yaml',
      '--shards',
      '2',
      '--out',
      'k8s',
      '--image',
      'registry.example/slatelab:1',
      '--results',
      volume,
      '--slatelab',
      bin,
    );
    expect(wrote.code, wrote.stderr).toBe(0);
    const shards = parse(readFileSync(join(home, 'k8s/shards-job.yaml'), 'utf8')) as JobManifest;
    expect(shards.kind).toBe('Job');
    expect(shards.spec.completionMode).toBe('Indexed');
    expect(shards.spec.completions).toBe(2);
    expect(shards.spec.parallelism).toBe(2);
    const container = shards.spec.template.spec.containers[0];
    expect(container.image).toBe('registry.example/slatelab:1');
    expect(shards.spec.template.spec.volumes[0].persistentVolumeClaim.claimName).toBe('slatelab-results');
    for (const index of [0, 1]) {
      const pod = run(container.command[0], container.command.slice(1), { JOB_COMPLETION_INDEX: String(index) });
      expect(pod.code, pod.stderr).toBe(0);
    }
    const merge = parse(readFileSync(join(home, 'k8s/merge-job.yaml'), 'utf8')) as JobManifest;
    const mergeCommand = merge.spec.template.spec.containers[0].command;
    const merged = run(mergeCommand[0], mergeCommand.slice(1));
    expect(merged.code, merged.stderr).toBe(0);
    const whole = slatelab('run', 'exp.yaml', '--out', 'whole');
    expect(whole.code, whole.stderr).toBe(0);
    expectSameResults(join(volume, 'merged'), join(home, 'whole'));
  });
});
