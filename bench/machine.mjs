/** What the numbers were measured on: CPU, cores, memory, Node/V8, package versions, git commit. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

function tryRun(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function cpuFlags() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('flags'));
    const have = new Set((line ?? '').split(':')[1]?.trim().split(/\s+/) ?? []);
    return ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f'].filter((f) => have.has(f));
  } catch {
    return [];
  }
}

export function machineInfo() {
  const cpus = os.cpus();
  const lscpu = tryRun('lscpu', []);
  const pick = (k) => lscpu?.split('\n').find((l) => l.startsWith(`${k}:`))?.split(':').slice(1).join(':').trim() ?? null;
  return {
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    availableParallelism: os.availableParallelism?.() ?? cpus.length,
    hypervisor: pick('Hypervisor vendor'),
    caches: { l1d: pick('L1d cache'), l2: pick('L2 cache'), l3: pick('L3 cache') },
    simdFlags: cpuFlags(),
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    loadAverage: os.loadavg().map((v) => +v.toFixed(2)),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    gitCommit: tryRun('git', ['rev-parse', '--short', 'HEAD']),
    gitDirty: (tryRun('git', ['status', '--porcelain', '--', 'src', 'assembly']) ?? '') !== '',
  };
}
