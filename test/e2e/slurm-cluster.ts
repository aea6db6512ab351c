// A real single-node Slurm cluster for the live test: its own munge daemon (private key, socket
// and pid file in a temporary folder, so a machine's own munge is never touched), slurmctld and
// slurmd in the foreground on free ports, started as root and stopped by pid. Debian's slurm-wlm
// and munge provide the programs (.ci/run installs them when missing). When the cluster cannot
// start, `start` throws with the reason: the test fails, it never skips.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

const PROGRAMS = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'sinfo'];

export interface SlurmCluster {
  /** The environment a Slurm command needs to reach this cluster (SLURM_CONF). */
  readonly env: Record<string, string>;
  /** Runs a Slurm client command against the cluster. */
  command(name: string, args: readonly string[]): { code: number | null; stdout: string; stderr: string };
  /** The daemons' logs, for a failure's message. */
  logs(): string;
  /** Stops the daemons this cluster started, by pid, and waits for them to exit. */
  stop(): Promise<void>;
}

/** A port nobody listens on now (the kernel's choice). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function which(program: string): string | null {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin', ...(process.env.PATH ?? '').split(':')])
    if (dir && existsSync(join(dir, program))) return join(dir, program);
  return null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for `ready` up to `ms`, polling; false when it never came. */
async function waitFor(ready: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (ready()) return true;
    await sleep(250);
  }
  return ready();
}

export async function startSlurmCluster(): Promise<SlurmCluster> {
  if (process.getuid?.() !== 0)
    throw new Error(
      'the live Slurm test needs root (slurmd runs jobs as their user, munged and the daemons here run as root): run npm run test:e2e as root, as .ci/run does',
    );
  const missing = PROGRAMS.filter((program) => which(program) === null);
  if (missing.length > 0)
    throw new Error(
      `the live Slurm test needs ${missing.join(', ')}: install Debian's slurm-wlm and munge (apt-get install slurm-wlm munge; .ci/run does it when they are missing)`,
    );
  const dir = mkdtempSync(join(tmpdir(), 'slatelab-slurmd-'));
  const children: ChildProcess[] = [];
  const key = join(dir, 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o600 });
  const socket = join(dir, 'munge.socket');
  const [ctldPort, dPort] = [await freePort(), await freePort()];
  const host = hostname().split('.')[0];
  const conf = join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    [
      'ClusterName=slatelab-e2e',
      // Addresses given, so that nothing depends on the host name resolving.
      `SlurmctldHost=${host}(127.0.0.1)`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${socket}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'MpiDefault=none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_CPU',
      'ReturnToService=2',
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(dir, 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'slurmd.log')}`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${dPort}`,
      `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${availableParallelism()} State=UNKNOWN`,
      'PartitionName=e2e Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
      '',
    ].join('\n'),
  );
  const env = { SLURM_CONF: conf };
  const daemon = (program: string, args: string[]) => {
    const child = spawn(program, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    children.push(child);
    return child;
  };
  const command = (name: string, args: readonly string[]) => {
    const result = spawnSync(name, args, {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const logs = () =>
    ['munged.log', 'slurmctld.log', 'slurmd.log']
      .filter((file) => existsSync(join(dir, file)))
      .map((file) => `--- ${file}\n${readFileSync(join(dir, file), 'utf8').split('\n').slice(-15).join('\n')}`)
      .join('\n');
  const stop = async () => {
    // slurmd, then slurmctld, then munged: each by the pid this process started.
    for (const child of children.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGTERM');
      const exited = await waitFor(() => child.exitCode !== null || child.signalCode !== null, 10_000);
      if (!exited) child.kill('SIGKILL');
    }
  };
  try {
    daemon('munged', [
      '--foreground',
      '--force',
      `--socket=${socket}`,
      `--key-file=${key}`,
      `--pid-file=${join(dir, 'munged.pid')}`,
      `--log-file=${join(dir, 'munged.log')}`,
      `--seed-file=${join(dir, 'munged.seed')}`,
    ]);
    if (!(await waitFor(() => existsSync(socket), 10_000)))
      throw new Error(`munged did not open its socket within 10 s\n${logs()}`);
    daemon('slurmctld', ['-D', '-f', conf]);
    daemon('slurmd', ['-D', '-f', conf]);
    const idle = await waitFor(() => /idle/.test(command('sinfo', ['-h', '-o', '%t']).stdout), 30_000);
    if (!idle) {
      const sinfo = command('sinfo', ['-h', '-o', '%t']);
      throw new Error(
        `the Slurm node did not become idle within 30 s (sinfo: ${sinfo.stdout}${sinfo.stderr})\n${logs()}`,
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { env, command, logs, stop };
}

/** Waits until the cluster's queue holds no pending, running or completing job; false after `ms`. */
export function queueEmpty(cluster: SlurmCluster, ms: number): Promise<boolean> {
  return waitFor(() => {
    const queue = cluster.command('squeue', ['-h', '-t', 'PD,CF,R,CG', '-o', '%i %T']);
    return queue.code === 0 && queue.stdout.trim() === '';
  }, ms);
}
