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

/** Aggregate CPU jiffies from /proc/stat: { busy, total }, or null where unavailable. */
export function cpuJiffies() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] || 0); // idle + iowait
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0); // user … steal (guest is inside user)
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/**
 * Measures how much of the machine's CPU *other* processes used over an interval: call it once
 * to start, then call the returned function to get the foreign share (0 = we were alone, 1 = all
 * cores busy with other work), or null where /proc/stat is unavailable.
 */
export function foreignCpuMeter() {
  const j0 = cpuJiffies();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const j1 = cpuJiffies();
    if (!j0 || !j1 || j1.total === j0.total) return null;
    const all = (j1.busy - j0.busy) / (j1.total - j0.total);
    const c = process.cpuUsage(c0);
    const ours = (c.user + c.system) / 1000 / ((performance.now() - t0) * os.cpus().length);
    return Math.min(1, Math.max(0, all - ours));
  };
}

/** Waits until other processes use less than `threshold` of the CPU (sampled over 3 s), at most `maxMs`. */
export async function waitQuiet({ threshold = 0.1, maxMs = 10 * 60_000, log = console.log } = {}) {
  const t0 = performance.now();
  for (;;) {
    const meter = foreignCpuMeter();
    await new Promise((r) => setTimeout(r, 3000));
    const share = meter();
    if (share == null || share < threshold) return share;
    if (performance.now() - t0 > maxMs) {
      log(`  still busy after ${Math.round(maxMs / 60000)} min (others use ${Math.round(100 * share)} % of the CPU): starting anyway`);
      return share;
    }
    log(`  waiting for a quiet machine: other processes use ${Math.round(100 * share)} % of the CPU (load ${os.loadavg()[0].toFixed(1)})`);
    await new Promise((r) => setTimeout(r, 7000));
  }
}
