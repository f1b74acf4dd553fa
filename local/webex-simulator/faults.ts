import * as z from 'zod';

/** What the simulator does wrong on purpose, on the Webex API and token routes. */
export interface FaultSettings {
  /** Added to every call before it is answered. */
  latencyMs: number;
  /** Share of calls (0..1) answered 429 Too Many Requests. */
  rate429: number;
  /** Share of calls (0..1) answered 502 or 503. */
  rate5xx: number;
  /** The `Retry-After` a 429 carries, in seconds. */
  retryAfterSeconds: number;
  /** The next N calls answer 429, whatever the rates: lets tests be deterministic. */
  next429: number;
  /** The next N calls (after any `next429`) answer 5xx. */
  next5xx: number;
}

/** Bounds of each setting: the control API and the state file check the same ones. */
export const faultSettingsSchema = z.strictObject({
  latencyMs: z.number().int().min(0).max(120_000),
  rate429: z.number().min(0).max(1),
  rate5xx: z.number().min(0).max(1),
  retryAfterSeconds: z.number().int().min(0).max(86_400),
  next429: z.number().int().min(0),
  next5xx: z.number().int().min(0),
}) satisfies z.ZodType<FaultSettings>;

/** A fault to answer with instead of the real response. */
export type Fault = { status: 429; retryAfterSeconds: number } | { status: 502 | 503 };

/** No fault at all: the state after start and after a reset. */
export const NO_FAULTS: Readonly<FaultSettings> = Object.freeze({
  latencyMs: 0,
  rate429: 0,
  rate5xx: 0,
  retryAfterSeconds: 1,
  next429: 0,
  next5xx: 0,
});

/** Holds the fault settings and decides, call by call, whether a call fails. */
export class FaultInjector {
  private settings: FaultSettings = { ...NO_FAULTS };
  /** Counts 5xx answers so that they alternate 503, 502: callers see both without randomness. */
  private served5xx = 0;

  constructor(private readonly random: () => number = Math.random) {}

  current(): FaultSettings {
    return { ...this.settings };
  }

  /** Changes only the given settings; the others keep their value. */
  update(patch: Partial<FaultSettings>): FaultSettings {
    this.settings = { ...this.settings, ...definedOnly(patch) };
    return this.current();
  }

  reset(): void {
    this.settings = { ...NO_FAULTS };
    this.served5xx = 0;
  }

  /** The fault this call gets, if any. Consumes one unit of a `next…` counter when it applies. */
  nextFault(): Fault | undefined {
    if (this.settings.next429 > 0) {
      this.settings.next429 -= 1;
      return this.tooManyRequests();
    }
    if (this.settings.next5xx > 0) {
      this.settings.next5xx -= 1;
      return this.serverError();
    }
    if (this.settings.rate429 > 0 && this.random() < this.settings.rate429) return this.tooManyRequests();
    if (this.settings.rate5xx > 0 && this.random() < this.settings.rate5xx) return this.serverError();
    return undefined;
  }

  private tooManyRequests(): Fault {
    return { status: 429, retryAfterSeconds: this.settings.retryAfterSeconds };
  }

  private serverError(): Fault {
    this.served5xx += 1;
    return { status: this.served5xx % 2 === 1 ? 503 : 502 };
  }
}

/** Drops keys whose value is undefined, so a partial update never erases a setting. */
export function definedOnly<T extends object>(patch: Partial<T>): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}
