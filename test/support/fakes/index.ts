/** One fake per port, shared by the unit, integration and security tests and the bench. */
export { InMemoryAuthorizationRepository } from './authorization-repository.js';
export { ManualClock, TEST_START } from './clock.js';
export { RecordingPublisher, type Publication, type PreviewedMail } from './event-publisher.js';
export { InMemoryHistory } from './history-repository.js';
export { RecordingLog, type LogLine } from './log.js';
export { InMemorySentMailLedger, RecordingMailSender } from './mail.js';
export { InMemoryOAuthStateStore } from './oauth-state-store.js';
export { inMemoryRepositories } from './repositories.js';
export { clientSecretsFrom, fixedLinkKeys, testClientSecrets } from './secrets.js';
export { InMemoryTenantRepository, type TenantPartition } from './tenant-repository.js';
export { MemoryTokenVault, openRecordTokens } from './token-vault.js';
export { RecordingValidationQueue } from './validation-queue.js';
export {
  FakeWebex,
  FULL_ADMIN,
  ScriptedServiceAppTokens,
  USER_ADMIN,
  unreachableWebex,
  webexWithConsentingAdmin,
  type FakeExchange,
  type FakePerson,
  type FakeWebexMethod,
} from './webex.js';
export { RecordingAlertDelivery, type DeliveredMail } from './alert-delivery.js';
export { InMemoryFleetBoard } from './fleet-board.js';
export { InMemoryCheckBudgetStore } from './check-budget-store.js';
export { VirtualClock } from './virtual-clock.js';
