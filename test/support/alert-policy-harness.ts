import { applyAlertPolicy, flushAlerts, type AlertPolicyDependencies } from '#domain/alert-delivery.js';
import { DEFAULT_ALERT_POLICY, type AlertPolicySettings } from '#domain/alert-policy.js';
import type { Authorization, AuthorizationEvent, Tenant } from '#domain/model.js';
import { silentLog } from '#domain/ports.js';
import { MemoryAlertLedger } from '#local/adapters/memory-alert-ledger.js';
import { alertCatalog, alertTenant, REAUTHORIZE_LINK } from './alert-inputs.js';
import {
  InMemoryAuthorizationRepository,
  InMemoryTenantRepository,
  ManualClock,
  RecordingAlertDelivery,
} from './fakes/index.js';

export const STATUS_BOARD_URL = 'https://keeper.example/admin/status-board';

/** The alert policy's use cases on in-memory ports, a hand-moved clock and a recording delivery. */
export class AlertPolicyHarness {
  readonly clock: ManualClock;
  readonly ledger = new MemoryAlertLedger();
  readonly delivery = new RecordingAlertDelivery();
  readonly tenants: InMemoryTenantRepository;
  readonly authorizations = new InMemoryAuthorizationRepository();
  readonly deps: AlertPolicyDependencies;

  constructor(options: { policy?: Partial<AlertPolicySettings>; tenants?: Tenant[]; start?: Date } = {}) {
    this.clock = new ManualClock(options.start);
    this.tenants = new InMemoryTenantRepository(...(options.tenants ?? [alertTenant]));
    this.deps = {
      tenants: this.tenants,
      authorizations: this.authorizations,
      catalog: alertCatalog,
      ledger: this.ledger,
      delivery: this.delivery,
      reauthorizeLink: () => Promise.resolve(REAUTHORIZE_LINK),
      passwordMaxAgeDays: 1825,
      policy: { ...DEFAULT_ALERT_POLICY, ...options.policy },
      statusBoardUrl: STATUS_BOARD_URL,
      clientSecretLocation: 'the Secrets Manager secret keeper/client-secrets',
      clock: this.clock,
      log: silentLog,
    };
  }

  /** Publishes the event as the notifier gets it, with the record it was saved with. */
  async publish(event: AuthorizationEvent, record?: Authorization): Promise<void> {
    if (record) this.authorizations.put(record);
    await applyAlertPolicy(this.deps, event);
  }

  flush(): Promise<{ incidents: number; digests: number }> {
    return flushAlerts(this.deps);
  }
}
