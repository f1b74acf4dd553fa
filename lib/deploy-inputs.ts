import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as z from 'zod';
import { CatalogError, describeIssues, parseCatalogJson } from '#domain/catalog.js';
import { defaultCatalog } from '#adapters/catalog-file.js';
import type { Catalog } from '#domain/catalog.js';
import { DEFAULT_ALERT_POLICY } from '#domain/alert-policy.js';
import { logoUrlSchema, supportEmailSchema, vendorNameSchema, type Branding } from '#domain/branding.js';
import { DEFAULT_CHECK_BUDGET_LIMITS } from '#domain/check-budget.js';

/** Names of the CDK context keys the stack reads (`cdk deploy -c key=value` or `cdk.json`). */
export const contextKeys = {
  opsAlertEmail: 'opsAlertEmail',
  mailDomain: 'mailDomain',
  stackName: 'stackName',
  sweepRateMinutes: 'sweepRateMinutes',
  checkIntervalMinutes: 'checkIntervalMinutes',
  orgChecksInFlight: 'orgChecksInFlight',
  orgWebexCallsPerMinute: 'orgWebexCallsPerMinute',
  customDomainName: 'customDomainName',
  customDomainCertificateArn: 'customDomainCertificateArn',
  catalogFile: 'catalogFile',
  passwordMaxAgeDays: 'passwordMaxAgeDays',
  linkTtlDays: 'linkTtlDays',
  retainData: 'retainData',
  adminDocsUrl: 'adminDocsUrl',
  incidentWindowMinutes: 'incidentWindowMinutes',
  flapWindowMinutes: 'flapWindowMinutes',
  flapsPerDayFlagged: 'flapsPerDayFlagged',
  digestPeriodMinutes: 'digestPeriodMinutes',
  /** The vendor's name, support address and logo on the portal, the pages and the mails. */
  vendorName: 'vendorName',
  vendorSupportEmail: 'vendorSupportEmail',
  vendorLogoUrl: 'vendorLogoUrl',
  /** The vendor's own tenant, which holds the vendor token of Service Apps (docs/service-apps.md). */
  vendorTenantId: 'vendorTenantId',
  /** The environment of the deploy config file to deploy (lib/deploy-config.ts). */
  env: 'env',
  /** The deploy config file (else WEBEX_AUTH_KEEPER_DEPLOY_CONFIG). */
  configFile: 'configFile',
} as const;

/**
 * Largest catalog override passed as CATALOG_JSON. Lambda allows 4 KB of environment in total;
 * the rest of the variables need about 1 KB.
 */
export const MAX_CATALOG_JSON_BYTES = 3072;

/** A deploy-time input is missing or invalid; the message names the context key. */
export class DeployInputsError extends Error {
  override readonly name = 'DeployInputsError';
}

/** An integer given either as a number (cdk.json) or as a string (`-c key=15` on the command line). */
function integerBetween(min: number, max: number) {
  return z.coerce.number().int().min(min).max(max);
}

/** A boolean given either as a JSON boolean (cdk.json) or as "true"/"false" (command line). */
const booleanish = z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')]);

/** A DNS name such as `auth.example.com`: lower-case labels, at least one dot, no trailing dot. */
const domainName = z
  .string()
  .regex(
    /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    'must be a lower-case DNS name such as auth.example.com',
  );

const certificateArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/,
    'must be an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)',
  );

/** The stack's name when `stackName` is not given. */
export const DEFAULT_STACK_NAME = 'WebexAuthKeeper';

/**
 * Minutes between two checks of a healthy authorization when `checkIntervalMinutes` is not given:
 * docs/scale.md ("Check interval") measures detection delay against cost for 15, 30 and 60.
 */
export const DEFAULT_CHECK_INTERVAL_MINUTES = 15;

/** The alert policy's defaults (docs/alerts.md, "Settings") in the deploy inputs' minutes. */
export const DEFAULT_ALERT_INPUTS = {
  incidentWindowMinutes: DEFAULT_ALERT_POLICY.incidentWindowSeconds / 60,
  flapWindowMinutes: DEFAULT_ALERT_POLICY.flapWindowSeconds / 60,
  flapsPerDayFlagged: DEFAULT_ALERT_POLICY.flapsPerDayFlagged,
  digestPeriodMinutes: DEFAULT_ALERT_POLICY.digestPeriodSeconds / 60,
} as const;

/** A CloudFormation stack name: a letter, then letters, digits and hyphens, 128 at most. */
export const stackNameSchema = z
  .string()
  .regex(
    /^[A-Za-z][A-Za-z0-9-]{0,127}$/,
    'must start with a letter and hold only letters, digits and hyphens',
  );

/**
 * The raw deploy-time context, validated. Every key is optional: `cdk synth` works with none of
 * them, and the one input without a sensible default (the ops email) falls back to a required
 * CloudFormation parameter.
 */
export const deployContextSchema = z
  .object({
    opsAlertEmail: z.email().optional(),
    mailDomain: domainName.optional(),
    stackName: stackNameSchema.default(DEFAULT_STACK_NAME),
    sweepRateMinutes: integerBetween(1, 1440).default(15),
    checkIntervalMinutes: integerBetween(1, 1440).optional(),
    orgChecksInFlight: integerBetween(1, 100).default(DEFAULT_CHECK_BUDGET_LIMITS.maxInFlight),
    orgWebexCallsPerMinute: integerBetween(10, 100_000).default(DEFAULT_CHECK_BUDGET_LIMITS.callsPerMinute),
    customDomainName: domainName.optional(),
    customDomainCertificateArn: certificateArn.optional(),
    catalogFile: z.string().min(1).optional(),
    passwordMaxAgeDays: integerBetween(1, 3650).default(1825),
    linkTtlDays: integerBetween(1, 90).default(14),
    retainData: booleanish.default(true),
    adminDocsUrl: z.url({ protocol: /^https$/, error: 'must be an https URL' }).optional(),
    // The alert policy: an incident must close within the hour, a flap window and a digest period
    // fit in a day (the notifier flushes every minute).
    incidentWindowMinutes: integerBetween(1, 60).default(DEFAULT_ALERT_INPUTS.incidentWindowMinutes),
    flapWindowMinutes: integerBetween(1, 1440).default(DEFAULT_ALERT_INPUTS.flapWindowMinutes),
    flapsPerDayFlagged: integerBetween(1, 1000).default(DEFAULT_ALERT_INPUTS.flapsPerDayFlagged),
    digestPeriodMinutes: integerBetween(1, 1440).default(DEFAULT_ALERT_INPUTS.digestPeriodMinutes),
    vendorName: vendorNameSchema.optional(),
    vendorSupportEmail: supportEmailSchema.optional(),
    vendorLogoUrl: logoUrlSchema.optional(),
    vendorTenantId: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a tenant id: lower-case letters, digits and dashes')
      .optional(),
  })
  .superRefine((context, ctx) => {
    // The dispatcher only finds what is due when it runs: a shorter interval would not be kept.
    if (
      context.checkIntervalMinutes !== undefined &&
      context.checkIntervalMinutes < context.sweepRateMinutes
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['checkIntervalMinutes'],
        message: `must be at least sweepRateMinutes (${context.sweepRateMinutes}): checks happen only when the sweep runs`,
      });
    }
    // The pages name the vendor and where to ask for help together; a logo alone names no one.
    const branded = [context.vendorName, context.vendorSupportEmail, context.vendorLogoUrl].some(
      (value) => value !== undefined,
    );
    for (const key of ['vendorName', 'vendorSupportEmail'] as const) {
      if (branded && context[key] === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'vendorName and vendorSupportEmail must be given together (vendorLogoUrl only with them)',
        });
      }
    }
    // A custom domain is only usable with its certificate, and a certificate alone means nothing.
    if ((context.customDomainName === undefined) !== (context.customDomainCertificateArn === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [context.customDomainName === undefined ? 'customDomainName' : 'customDomainCertificateArn'],
        message: 'customDomainName and customDomainCertificateArn must be given together',
      });
    }
  });

/** A custom domain for the public pages: its name and the ACM certificate (same region) covering it. */
export interface CustomDomain {
  readonly domainName: string;
  readonly certificateArn: string;
}

/** What the stack is built from: validated context plus the catalog it resolves to. */
export interface DeployInputs {
  /** Ops alert address; when absent the stack asks for it as the `OpsAlertEmail` parameter. */
  readonly opsAlertEmail?: string;
  /** The domain alert mail is sent from (SES identity); when absent the stack asks for it as the `MailDomain` parameter. */
  readonly mailDomain?: string;
  /** Name of the CloudFormation stack; every physical name derives from it (lib/names.ts). */
  readonly stackName: string;
  /** Minutes between two sweeps of the `due` index. */
  readonly sweepRateMinutes: number;
  /** Minutes between two checks of a healthy authorization (at least the sweep rate). */
  readonly checkIntervalMinutes: number;
  /** Checks of one Webex org in flight at once, across workers (docs/scale.md, "Call budget per org"). */
  readonly orgChecksInFlight: number;
  /** Webex calls the checks of one org may make per minute, across workers. */
  readonly orgWebexCallsPerMinute: number;
  readonly customDomain?: CustomDomain;
  /** The catalog override's JSON (compact), only when `catalogFile` was given. */
  readonly catalogJson?: string;
  /** The catalog the functions will use (the override or the shipped default). */
  readonly catalog: Catalog;
  readonly passwordMaxAgeDays: number;
  readonly linkTtlDays: number;
  /** Keep the table, key and client secrets when the stack is deleted. */
  readonly retainData: boolean;
  /** Where the team keeps docs/admin-api.md: the admin API's problem `type`s link into it. */
  readonly adminDocsUrl?: string;
  /** How long an incident collects the deaths that join it before its one mail goes. */
  readonly incidentWindowMinutes: number;
  /** A `degraded` then `restored` within this is a flap: counted, mailed to nobody. */
  readonly flapWindowMinutes: number;
  /** More flaps than this in a UTC day flag the authorization (status board, digest). */
  readonly flapsPerDayFlagged: number;
  /** The ops digest's period. */
  readonly digestPeriodMinutes: number;
  /** The vendor's name, support address and logo on the portal, the pages and the mails. */
  readonly branding?: Branding;
  /** The vendor's own tenant, whose authorization of the vendor token fetches Service App tokens. */
  readonly vendorTenantId?: string;
}

/** Defaults for every input, for tests and for the app when no context is given. */
export function defaultDeployInputs(overrides: Partial<DeployInputs> = {}): DeployInputs {
  return {
    stackName: DEFAULT_STACK_NAME,
    sweepRateMinutes: 15,
    checkIntervalMinutes: DEFAULT_CHECK_INTERVAL_MINUTES,
    orgChecksInFlight: DEFAULT_CHECK_BUDGET_LIMITS.maxInFlight,
    orgWebexCallsPerMinute: DEFAULT_CHECK_BUDGET_LIMITS.callsPerMinute,
    catalog: defaultCatalog(),
    passwordMaxAgeDays: 1825,
    linkTtlDays: 14,
    retainData: true,
    ...DEFAULT_ALERT_INPUTS,
    ...overrides,
  };
}

/**
 * Context keys that belong to CDK, its CLI or cdk-nag, not to this app: feature flags
 * (`@aws-cdk/...`, in cdk.json), what the CLI injects on every synth (`aws:cdk:enable-path-metadata`,
 * `aws:cdk:enable-asset-metadata`, `aws:cdk:version-reporting`, `aws:cdk:bundling-stacks`,
 * `@aws-cdk/core:failSynthOnValidationErrors`), `cdk acknowledge`'s list, and cached lookups of
 * cdk.context.json (`availability-zones:account=...:region=...`).
 */
export function isCdkContextKey(key: string): boolean {
  return (
    key.startsWith('@aws-cdk/') ||
    key.startsWith('@aws-cdk-containers/') ||
    key.startsWith('aws:cdk:') ||
    key.startsWith('aws-cdk:') ||
    key.startsWith('cdk-nag') ||
    key === 'acknowledged-issue-numbers' ||
    /^[a-z0-9-]+:.*=/.test(key)
  );
}

/** Edit distance, case-insensitive: how far a typed key is from a known one. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, index) => index);
  for (let i = 1; i <= x.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= y.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (x[i - 1] === y[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[y.length] ?? 0;
}

/** The known key a typed one most likely meant: one that contains it (or it contains), else the closest. */
export function nearestContextKey(key: string): string {
  const known = Object.values(contextKeys);
  const lower = key.toLowerCase();
  const containing = known.find(
    (candidate) => candidate.toLowerCase().includes(lower) || lower.includes(candidate.toLowerCase()),
  );
  if (containing !== undefined) return containing;
  return known.reduce((best, candidate) =>
    distance(key, candidate) < distance(key, best) ? candidate : best,
  );
}

/**
 * Refuses context keys that are neither inputs of this app nor CDK's own: a misspelled `-c`
 * (`sweepRate=5`) would otherwise be ignored and the default deployed without a word.
 */
export function checkContextKeys(keys: Iterable<string>): void {
  const known = new Set<string>(Object.values(contextKeys));
  const unknown = [...keys].filter((key) => !known.has(key) && !isCdkContextKey(key));
  if (unknown.length === 0) return;
  const each = unknown.map((key) => `"${key}" (did you mean "${nearestContextKey(key)}"?)`);
  throw new DeployInputsError(
    `Invalid deploy context: unknown key${unknown.length > 1 ? 's' : ''} ${each.join(', ')}; the keys are ${[...known].join(', ')}`,
  );
}

/** How inputs are read: a context lookup and a file reader, so tests need no app or disk. */
export interface DeployInputSources {
  readonly getContext: (key: string) => unknown;
  /**
   * Every context key given (`app.node.getAllContext()`); when set, a key that is neither an
   * input nor CDK's own stops the synth ({@link checkContextKeys}).
   */
  readonly contextKeysGiven?: () => Iterable<string>;
  readonly readTextFile?: (path: string) => string;
  /** Directory a relative `catalogFile` is resolved against. */
  readonly baseDir?: string;
}

/** Loads a catalog, turning its one-line CatalogError into the synth's DeployInputsError. */
function catalogOrStop(load: () => Catalog): Catalog {
  try {
    return load();
  } catch (error) {
    if (error instanceof CatalogError) throw new DeployInputsError(error.message);
    throw error;
  }
}

/**
 * Reads and validates the deploy-time inputs. Fails with one line naming every bad key (and, with
 * `contextKeysGiven`, every unknown one), so a typo in `-c` stops the synth instead of deploying a
 * half-configured stack.
 */
export function readDeployInputs(sources: DeployInputSources): DeployInputs {
  if (sources.contextKeysGiven) checkContextKeys(sources.contextKeysGiven());
  const raw = Object.fromEntries(
    Object.values(contextKeys).map((key) => {
      const value = sources.getContext(key);
      // `-c key=` on the command line gives an empty string: treat it as not given.
      return [key, value === '' || value === null ? undefined : value];
    }),
  );
  const parsed = deployContextSchema.safeParse(raw);
  if (!parsed.success) {
    throw new DeployInputsError(`Invalid deploy context: ${describeIssues(parsed.error)}`);
  }
  const context = parsed.data;

  // The shipped file is checked even under an override: every bundle inlines it (see
  // functions/commons/bundled-catalog.ts), and this says what is wrong before esbuild trips on it.
  let catalog = catalogOrStop(defaultCatalog);
  let catalogJson: string | undefined;
  const catalogFile = context.catalogFile;
  if (catalogFile !== undefined) {
    const path = resolve(sources.baseDir ?? process.cwd(), catalogFile);
    const readTextFile = sources.readTextFile ?? ((file: string) => readFileSync(file, 'utf8'));
    let text: string;
    try {
      text = readTextFile(path);
    } catch (error) {
      throw new DeployInputsError(
        `Invalid deploy context: catalogFile: cannot read ${path} (${String(error)})`,
      );
    }
    catalog = catalogOrStop(() => parseCatalogJson(text, catalogFile));
    // Compact: Lambda allows 4 KB of environment in total, and the functions re-parse it anyway.
    catalogJson = JSON.stringify(JSON.parse(text));
    const bytes = Buffer.byteLength(catalogJson, 'utf8');
    if (bytes > MAX_CATALOG_JSON_BYTES) {
      throw new DeployInputsError(
        `Invalid deploy context: catalogFile: ${bytes} bytes once compacted, more than the ${MAX_CATALOG_JSON_BYTES} a Lambda environment leaves for CATALOG_JSON`,
      );
    }
  }

  return {
    stackName: context.stackName,
    sweepRateMinutes: context.sweepRateMinutes,
    // Not given: the default, or the sweep's rate when the sweep runs less often than that.
    checkIntervalMinutes:
      context.checkIntervalMinutes ?? Math.max(DEFAULT_CHECK_INTERVAL_MINUTES, context.sweepRateMinutes),
    orgChecksInFlight: context.orgChecksInFlight,
    orgWebexCallsPerMinute: context.orgWebexCallsPerMinute,
    passwordMaxAgeDays: context.passwordMaxAgeDays,
    linkTtlDays: context.linkTtlDays,
    retainData: context.retainData,
    incidentWindowMinutes: context.incidentWindowMinutes,
    flapWindowMinutes: context.flapWindowMinutes,
    flapsPerDayFlagged: context.flapsPerDayFlagged,
    digestPeriodMinutes: context.digestPeriodMinutes,
    catalog,
    ...(context.opsAlertEmail !== undefined && { opsAlertEmail: context.opsAlertEmail }),
    ...(context.mailDomain !== undefined && { mailDomain: context.mailDomain }),
    ...(context.adminDocsUrl !== undefined && { adminDocsUrl: context.adminDocsUrl }),
    ...(context.vendorTenantId !== undefined && { vendorTenantId: context.vendorTenantId }),
    ...(context.vendorName !== undefined &&
      context.vendorSupportEmail !== undefined && {
        branding: {
          vendorName: context.vendorName,
          supportEmail: context.vendorSupportEmail,
          ...(context.vendorLogoUrl !== undefined && { logoUrl: context.vendorLogoUrl }),
        },
      }),
    ...(catalogJson !== undefined && { catalogJson }),
    ...(context.customDomainName !== undefined &&
      context.customDomainCertificateArn !== undefined && {
        customDomain: {
          domainName: context.customDomainName,
          certificateArn: context.customDomainCertificateArn,
        },
      }),
  };
}
