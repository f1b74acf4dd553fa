import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as z from 'zod';
import { AUDITED_ACTIONS, type AuditedAction } from './admin-audit.js';
import { faultSettingsSchema } from './faults.js';
import { ROLE_NAMES } from './world.js';

const instant = z.iso.datetime();

/**
 * The state file's format. Instants are ISO strings so that a person reading the file sees
 * when a token expires. `version` lets a later format refuse an older file instead of misreading it.
 */
export const simStateSchema = z.strictObject({
  version: z.literal(1),
  clockOffsetMs: z.number().finite(),
  settings: z.strictObject({
    accessTokenLifetimeSeconds: z.number().int().positive(),
    refreshTokenLifetimeSeconds: z.number().int().positive(),
    // Absent from files saved before the setting existed: those simulators extended every refresh.
    extendRefreshTokens: z.boolean().default(true),
  }),
  faults: faultSettingsSchema,
  integrations: z.array(
    z.strictObject({
      clientId: z.string().min(1),
      clientSecret: z.string().min(1),
      name: z.string().min(1),
      redirectUris: z.array(z.string().min(1)),
    }),
  ),
  orgs: z.array(z.strictObject({ id: z.string().min(1), uuid: z.string().min(1), name: z.string().min(1) })),
  people: z.array(
    z.strictObject({
      id: z.string().min(1),
      email: z.string().min(1),
      displayName: z.string(),
      orgId: z.string().min(1),
      roles: z.array(z.enum(ROLE_NAMES)),
      sso: z.boolean(),
      active: z.boolean(),
      created: instant,
      lastModified: instant,
      lastActivity: instant,
    }),
  ),
  blocks: z.array(z.strictObject({ orgId: z.string().min(1), clientId: z.string().min(1) })),
  // The four below are absent from files saved before Service Apps existed.
  serviceApps: z
    .array(
      z.strictObject({
        clientId: z.string().min(1),
        clientSecret: z.string().min(1),
        name: z.string().min(1),
        scopes: z.array(z.string().min(1)),
        applicationId: z.string().min(1),
      }),
    )
    .default([]),
  serviceAppAuthorizations: z
    .array(z.strictObject({ orgId: z.string().min(1), clientId: z.string().min(1) }))
    .default([]),
  auditEvents: z
    .array(
      z.strictObject({
        id: z.string().min(1),
        action: z.enum(Object.keys(AUDITED_ACTIONS) as [AuditedAction, ...AuditedAction[]]),
        created: instant,
        parties: z.strictObject({
          actor: z.strictObject({
            id: z.string().min(1),
            email: z.string().min(1),
            displayName: z.string(),
            orgId: z.string().min(1),
            fullAdmin: z.boolean(),
          }),
          target: z.strictObject({ id: z.string().min(1), displayName: z.string() }),
          org: z.strictObject({ id: z.string().min(1), name: z.string() }),
        }),
      }),
    )
    .default([]),
  webhooks: z
    .array(
      z.strictObject({
        id: z.string().min(1),
        name: z.string().min(1),
        targetUrl: z.string().min(1),
        resource: z.string().min(1),
        event: z.string().min(1),
        secret: z.string().min(1).optional(),
        orgId: z.string().min(1),
        createdBy: z.string().min(1),
        created: instant,
      }),
    )
    .default([]),
  grants: z.array(
    z.strictObject({
      id: z.string().min(1),
      clientId: z.string().min(1),
      personId: z.string().min(1),
      orgId: z.string().min(1),
      scopes: z.array(z.string()),
      refreshToken: z.string().min(1),
      refreshTokenExpiresAt: instant,
      created: instant,
      alive: z.boolean(),
      accessTokens: z.array(
        z.strictObject({
          id: z.string().min(1),
          token: z.string().min(1),
          created: instant,
          expiresAt: instant,
          alive: z.boolean(),
        }),
      ),
    }),
  ),
});

/** Everything of a SimWorld that outlives a restart, as plain data. */
export type SimState = z.infer<typeof simStateSchema>;

/** The state file exists but cannot be used; the message is one line that says what to do. */
export class SimStateFileError extends Error {
  override readonly name = 'SimStateFileError';

  constructor(path: string, problem: string) {
    super(
      `Webex simulator state file ${path} is unusable (${problem}). Fix: delete it or start with --fresh`,
    );
    // `npm start` prints errors it does not know with their stack; for this one the stack would
    // only bury the line that says what to do.
    this.stack = `${this.name}: ${this.message}`;
  }
}

/** Reads and checks a state file; undefined when there is none yet (a first start). */
export async function readStateFile(path: string): Promise<SimState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isErrnoException(error) && error.code === 'ENOENT') return undefined;
    throw new SimStateFileError(path, `cannot be read: ${isErrnoException(error) ? error.code : 'unknown'}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SimStateFileError(path, 'not valid JSON');
  }
  const result = simStateSchema.safeParse(json);
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  // The first problem is enough to recognise a damaged file; all of them would not fit one line.
  const where = issue?.path.join('.') || 'top level';
  throw new SimStateFileError(path, `${where}: ${oneLine(issue?.message ?? 'invalid')}`);
}

/** Debounce of saves: one write covers a burst of requests (a consent flow is several). */
const SAVE_DELAY_MS = 100;

/**
 * Saves a world to a file a little after each change, and for good on `close()`. Every write
 * goes to a temporary file that is then renamed over the old one, so a crash mid-write leaves
 * the previous state whole rather than a truncated file the next start would refuse.
 */
export class StateFileWriter {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private lastWritten: string | undefined;
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly snapshot: () => SimState,
  ) {}

  /** Asks for a save soon; a write happens only when the state differs from the file. */
  schedule(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writing = this.writing.then(() =>
        this.save().catch((error: unknown) => {
          // A failed save must not take the simulator down; the next change tries again.
          console.error(`Webex simulator: saving ${this.path} failed: ${describe(error)}`);
        }),
      );
    }, SAVE_DELAY_MS);
    // A pending save must not keep a process alive that is otherwise done; close() flushes anyway.
    this.timer.unref();
  }

  /** Writes the final state and stops saving; a failure is the caller's to see. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing;
    await this.save();
  }

  private async save(): Promise<void> {
    const text = `${JSON.stringify(this.snapshot(), null, 2)}\n`;
    if (text === this.lastWritten) return;
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const temporary = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      // 0600: the file holds live (simulated) tokens and the integrations' client secrets.
      await writeFile(temporary, text, { mode: 0o600 });
      await rename(temporary, this.path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    this.lastWritten = text;
  }
}

function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && 'code' in error;
}

function describe(error: unknown): string {
  if (isErrnoException(error) && error.code) return error.code;
  return error instanceof Error ? error.name : typeof error;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
