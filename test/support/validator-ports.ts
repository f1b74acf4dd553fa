import { defaultCatalog } from '#adapters/catalog-file.js';
import { silentLog } from '#domain/ports.js';
import { DEFAULT_VALIDATOR_CONFIG, type ValidatorDependencies } from '#domain/validator-config.js';
import { RecordingPublisher } from './fakes/index.js';

/**
 * The validator's dependencies a unit test does not look at: one client secret for every
 * integration, a recording publisher, the shipped catalog, the default settings, a fixed
 * re-authorize link and no log. Spread first, then the ports the test is about.
 */
export function unwatchedValidatorPorts(): Pick<
  ValidatorDependencies,
  'clientSecrets' | 'events' | 'catalog' | 'config' | 'reauthorizeLink' | 'log'
> {
  return {
    clientSecrets: { get: async () => 'secret' },
    events: new RecordingPublisher(),
    catalog: defaultCatalog(),
    config: DEFAULT_VALIDATOR_CONFIG,
    reauthorizeLink: async () => 'https://keeper.example/connect/x',
    log: silentLog,
  };
}
