import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time from Linux's /proc, to say where a sweep's CPU went: the bench's own processes (the
 * sweep, the simulator, DynamoDB Local) and everything else on the machine. Each reader returns
 * undefined where /proc is not there (not Linux), and the report then leaves the figure out.
 */

/** Clock ticks per second of /proc's counters (`getconf CLK_TCK`, 100 nearly everywhere). */
const TICKS_PER_SECOND = (() => {
  const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout);
  return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
})();

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Busy CPU time of the whole machine, all cores, in ms (everything but idle and iowait). */
export function machineBusyMs(): number | undefined {
  const fields = readText('/proc/stat')?.split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number);
  if (!fields || fields.length < 8) return undefined;
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return ((user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND) * 1000;
}

/** CPU time (user and system) a process has used, in ms. */
export function processCpuMs(pid: number): number | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  // The command name is in parentheses and may hold spaces: count fields after its closing one.
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields?.[11]);
  const stime = Number(fields?.[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return ((utime + stime) / TICKS_PER_SECOND) * 1000;
}

function parentOf(pid: string): number | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  const parent = Number(stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  return Number.isFinite(parent) ? parent : undefined;
}

/**
 * The DynamoDB Local JVM this process started: a descendant (the launcher may wrap it in a shell)
 * whose executable is java and whose command line runs DynamoDBLocal.jar.
 */
export function findDynamoDbLocalPid(): number | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return undefined;
  }
  const isOurs = (pid: string): boolean => {
    for (
      let current = parentOf(pid), hops = 0;
      current && hops < 5;
      current = parentOf(String(current)), hops += 1
    ) {
      if (current === process.pid) return true;
    }
    return false;
  };
  const jvm = pids.find(
    (pid) =>
      readText(`/proc/${pid}/comm`)?.trim() === 'java' &&
      readText(`/proc/${pid}/cmdline`)?.includes('DynamoDBLocal.jar') &&
      isOurs(pid),
  );
  return jvm === undefined ? undefined : Number(jvm);
}
