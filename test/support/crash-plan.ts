/** The failure a {@link CrashPlan} throws: a process that died mid-run, not an error the code handles. */
export class Crash extends Error {
  override readonly name = 'Crash';
}

/** Where the next run dies: at the `at`-th port call, before it is made or just after it returned. */
export interface CrashPlan {
  at: number;
  mode: 'before' | 'after';
  count: number;
  fired?: string;
  /** Calls that returned before the run died. */
  completed: string[];
  /** When given, the types of the events whose `events.publish` returned before the run died. */
  published?: string[];
}

function eventTypeOf(event: unknown): string {
  return typeof event === 'object' && event !== null && 'type' in event ? String(event.type) : 'unknown';
}

/** Wraps every method of a port so the plan can kill the run around any call. */
export function crashing<T extends object>(port: T, name: string, plan: CrashPlan): T {
  return new Proxy(port, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        plan.count += 1;
        const step = `${name}.${String(property)}`;
        const here = plan.count === plan.at;
        if (here && plan.mode === 'before') {
          plan.fired = step;
          throw new Crash(`died before ${step}`);
        }
        const result: unknown = await (value as (...a: unknown[]) => unknown).apply(target, args);
        plan.completed.push(step);
        if (step === 'events.publish') plan.published?.push(eventTypeOf(args[0]));
        if (here && plan.mode === 'after') {
          plan.fired = step;
          throw new Crash(`died after ${step}`);
        }
        return result;
      };
    },
  });
}
