import { alertText } from '#domain/alert-content.js';
import { alertInputOf, type AlertPolicyDependencies } from '#domain/alert-delivery.js';
import type { AlertLedger } from '#domain/alert-ledger.js';
import { eventAlertContent } from '#domain/event-alerts.js';
import {
  customerRoute,
  DEFAULT_ALERT_POLICY,
  opsRoute,
  type AlertPolicySettings,
} from '#domain/alert-policy.js';
import { defaultCatalog } from '#adapters/catalog-file.js';
import type { AuthorizationEvent, Tenant } from '#domain/model.js';
import { flushNotifications, notifyAuthorizationEvent, type NotifierDependencies } from '#domain/notifier.js';
import { silentLog, type EmailMessage } from '#domain/ports.js';
import type { ValidatorDependencies } from '#domain/validator-config.js';
import { MemoryAlertLedger } from '#local/adapters/memory-alert-ledger.js';
import {
  InMemoryAuthorizationRepository,
  InMemorySentMailLedger,
  InMemoryTenantRepository,
  ManualClock,
  RecordingLog,
  RecordingMailSender,
  type PreviewedMail,
  type RecordingPublisher,
} from './fakes/index.js';

export const NOTIFIER_OPS = 'ops@vendor.example';

/** Where the notifiers below say ops put the client secrets. */
export const NOTIFIER_SECRET_LOCATION = 'the Secrets Manager secret keeper/client-secrets';

/**
 * The notifier's ports on in-memory fakes, for the unit tests of the notifier and its handler: one
 * tenant, the given authorization records, a recording mail sender and a manual clock.
 */
export function inMemoryNotifier(options: {
  tenant: Tenant;
  authorizations?: InMemoryAuthorizationRepository;
  unsubscribeUrl?: NotifierDependencies['unsubscribeUrl'];
}) {
  const tenants = new InMemoryTenantRepository(options.tenant);
  const mail = new RecordingMailSender();
  const sentMail = new InMemorySentMailLedger();
  const clock = new ManualClock();
  const deps = {
    ledger: new MemoryAlertLedger(),
    policy: DEFAULT_ALERT_POLICY,
    statusBoardUrl: 'https://keeper.test/admin/status-board',
    clientSecretLocation: NOTIFIER_SECRET_LOCATION,
    unsubscribeUrl: options.unsubscribeUrl,
    tenants,
    authorizations: options.authorizations ?? new InMemoryAuthorizationRepository(),
    mail,
    sentMail,
    catalog: defaultCatalog(),
    reauthorizeLink: async () => 'https://portal.test/connect/link',
    passwordMaxAgeDays: 1825,
    opsEmail: NOTIFIER_OPS,
    clock,
    log: new RecordingLog(),
  } satisfies NotifierDependencies;
  return { deps, tenants, mail, sentMail, clock };
}

/**
 * The mail the notifier writes about an event, read from these ports at the moment it is
 * published (what the local bus hands the notifier): none when the alert policy mails nobody about
 * it (docs/alerts.md) or the tenant is gone. An invalidation's is its own part of its incident's mail. For RecordingPublisher's preview, so a test of a producer reads the mail its event makes.
 */
export function notifierPreview(
  deps: Pick<
    AlertPolicyDependencies,
    'tenants' | 'authorizations' | 'catalog' | 'reauthorizeLink' | 'passwordMaxAgeDays'
  > & { clientSecretLocation?: string },
): (event: AuthorizationEvent) => Promise<PreviewedMail | undefined> {
  return async (event) => {
    // Only what the policy mails somebody: at once, in its incident's mail, or to ops at once.
    if (customerRoute(event) === 'none' && opsRoute(event) !== 'now') return undefined;
    const tenant = await deps.tenants.get(event.tenantId);
    if (!tenant) return undefined;
    const content = eventAlertContent(
      await alertInputOf(deps, tenant, event),
      deps.clientSecretLocation ?? NOTIFIER_SECRET_LOCATION,
    );
    return {
      subject: content.subject,
      text: alertText(content),
      ...(content.audience ? { audience: content.audience } : {}),
    };
  };
}

/** The validator whose events the notifier gets: its ports, and the publisher it records on. */
export interface PublishingValidator {
  deps: ValidatorDependencies;
  events: RecordingPublisher;
}

/**
 * The notifier on the validator's repositories, catalog and clock, with the given alert ledger and
 * a recording mail sender: what the validator publishes is handed to it, in order, as the
 * notifier queue would.
 */
export class NotifierHarness {
  readonly mail = new RecordingMailSender();
  readonly deps: NotifierDependencies;
  private handed = 0;

  constructor(
    private readonly validator: PublishingValidator,
    ledger: AlertLedger,
    policy: Partial<AlertPolicySettings> = {},
  ) {
    this.deps = {
      tenants: validator.deps.tenants,
      authorizations: validator.deps.authorizations,
      catalog: validator.deps.catalog,
      ledger,
      reauthorizeLink: validator.deps.reauthorizeLink,
      passwordMaxAgeDays: 1825,
      policy: { ...DEFAULT_ALERT_POLICY, ...policy },
      statusBoardUrl: 'http://keeper.test/_local/status',
      clientSecretLocation: NOTIFIER_SECRET_LOCATION,
      mail: this.mail,
      sentMail: new InMemorySentMailLedger(),
      opsEmail: NOTIFIER_OPS,
      clock: validator.deps.clock,
      log: silentLog,
    };
  }

  /** Notifies every event the validator published since the last call. */
  async notifyPublished(): Promise<AuthorizationEvent[]> {
    const events = this.validator.events.published.slice(this.handed).map(({ event }) => event);
    this.handed += events.length;
    for (const event of events) await notifyAuthorizationEvent(this.deps, event);
    return events;
  }

  flush() {
    return flushNotifications(this.deps);
  }

  /** The mails one address got. */
  to(address: string): EmailMessage[] {
    return this.mail.sent.filter((message) => message.to === address);
  }
}
