import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundledCatalog } from '#commons/bundled-catalog.js';
import { loadCatalog } from '#commons/composition-root.js';
import { CatalogError, parseCatalog, parseCatalogJson } from '#domain/catalog.js';
import { defaultCatalog, readCatalogFile } from '#adapters/catalog-file.js';

const validIntegration = {
  key: 'users-sync',
  name: 'Users sync',
  integrationId: `C${'a'.repeat(64)}`,
  scopes: ['spark:people_read'],
};

describe('integration catalog', () => {
  it('ships the five integrations of the field with their Integration IDs', () => {
    const catalog = defaultCatalog();
    expect(catalog.keys).toEqual(['users-sync', 'presence', 'call-control', 'cdr', 'sso']);
    expect(catalog.find('presence')?.integrationId).toBe(
      'C1468e046a54f78620ca6d1b16eda8096165d0f960078c8e38c5ac09fb7f7f120',
    );
    expect(catalog.find('presence')?.presenceSharing).toBe(true);
    expect(catalog.find('users-sync')?.presenceSharing).toBe(false);
    expect(catalog.find('nope')).toBeUndefined();
  });

  it('ships the witness Service App, which users-sync names as the one that can replace it', () => {
    const catalog = defaultCatalog();
    expect(catalog.serviceApps.map((app) => app.key)).toEqual(['witness']);
    expect(catalog.witness?.scopes).toEqual([
      'spark-admin:people_read',
      'spark-admin:roles_read',
      'audit:events_read',
    ]);
    expect(catalog.replacementFor('users-sync')?.key).toBe('witness');
    expect(catalog.replacementFor('presence')).toBeUndefined();
    expect(catalog.find('witness')).toBeUndefined();
    expect(catalog.clientSecretKeys).toEqual([
      'users-sync',
      'presence',
      'call-control',
      'cdr',
      'sso',
      'witness',
      'service-app-token',
    ]);
  });

  it("ships the vendor token's integration as vendor-only: in no customer's list", () => {
    const catalog = defaultCatalog();
    expect(catalog.vendorToken?.key).toBe('service-app-token');
    expect(catalog.vendorToken?.scopes).toContain('spark:applications_token');
    expect(catalog.keys).not.toContain('service-app-token');
  });

  describe('Service App entries', () => {
    const applicationId = Buffer.from(`ciscospark://us/APPLICATION/C${'d'.repeat(64)}`).toString('base64url');
    const serviceApp = {
      kind: 'service-app',
      key: 'witness',
      name: 'Witness',
      applicationId,
      clientId: `C${'d'.repeat(64)}`,
      scopes: ['spark-admin:people_read'],
    };
    const catalogOf = (...entries: unknown[]) => ({
      version: 1,
      integrations: [validIntegration, ...entries],
    });

    it('parses one, and an integration that names it', () => {
      const catalog = parseCatalog({
        version: 1,
        integrations: [{ ...validIntegration, serviceApp: 'witness' }, serviceApp],
      });
      expect(catalog.findServiceApp('witness')?.applicationId).toBe(applicationId);
      expect(catalog.replacementFor('users-sync')?.clientId).toBe(serviceApp.clientId);
      expect(catalog.witness).toBeUndefined();
    });

    it.each([
      [
        'an application id that is not Webex id form',
        { applicationId: 'not-an-id-but-long-enough' },
        /integrations\.1\.applicationId: must be a Webex application id/,
      ],
      [
        'an application id of another kind of resource',
        { applicationId: Buffer.from('ciscospark://us/PEOPLE/x').toString('base64url') },
        /integrations\.1\.applicationId/,
      ],
      [
        'a malformed client ID',
        { clientId: 'C12' },
        /integrations\.1\.clientId: must be a Webex Service App client ID/,
      ],
      ['no application id', { applicationId: undefined }, /integrations\.1\.applicationId/],
      [
        'the client ID of an integration',
        { clientId: validIntegration.integrationId },
        /integrations\.1\.clientId: duplicate client ID/,
      ],
      ['an integration field', { presenceSharing: true }, /integrations\.1: Unrecognized key/],
      ['an unknown kind', { kind: 'bot' }, /integrations\.1\.kind/],
    ])('stops on %s, naming the field', (_case, change, message) => {
      expect(() => parseCatalog(catalogOf({ ...serviceApp, ...change }))).toThrow(message);
    });

    it('stops when an integration names a Service App the catalog lacks, or an integration', () => {
      expect(() =>
        parseCatalog({ version: 1, integrations: [{ ...validIntegration, serviceApp: 'nope' }] }),
      ).toThrow(/integrations\.0\.serviceApp: "nope" is not a service-app entry of the catalog/);
      const second = {
        ...validIntegration,
        key: 'second',
        integrationId: `C${'e'.repeat(64)}`,
        serviceApp: 'users-sync',
      };
      expect(() => parseCatalog(catalogOf(second))).toThrow(/integrations\.1\.serviceApp/);
    });

    it('stops a cold start on one line naming the bad Service App field of CATALOG_JSON', () => {
      const bad = JSON.stringify(catalogOf({ ...serviceApp, clientId: 'C12' }));
      expect(() => loadCatalog(bad, bundledCatalog)).toThrow(
        /^Invalid integration catalog \(CATALOG_JSON\): integrations\.1\.clientId: [^\n]+$/,
      );
    });

    it('stops on a catalog of Service Apps alone', () => {
      expect(() => parseCatalog({ version: 1, integrations: [serviceApp] })).toThrow(
        /integrations: needs at least one integration/,
      );
    });
  });

  describe('vendor-only integrations', () => {
    const vendorToken = {
      key: 'service-app-token',
      name: 'Service App token (vendor only)',
      integrationId: `C${'b'.repeat(64)}`,
      scopes: ['spark:applications_token'],
      vendorOnly: true,
    };

    it("keeps them out of the customers' integrations, finds them by key and names the vendor token", () => {
      const catalog = parseCatalog({ version: 1, integrations: [validIntegration, vendorToken] });
      expect(catalog.keys).toEqual(['users-sync']);
      expect(catalog.integrations.map((entry) => entry.key)).toEqual(['users-sync']);
      expect(catalog.vendorIntegrations.map((entry) => entry.key)).toEqual(['service-app-token']);
      expect(catalog.find('service-app-token')?.vendorOnly).toBe(true);
      expect(catalog.vendorToken?.key).toBe('service-app-token');
      expect(catalog.clientSecretKeys).toContain('service-app-token');
    });

    it('names no vendor token when no vendor-only integration holds spark:applications_token', () => {
      const catalog = parseCatalog({
        version: 1,
        integrations: [validIntegration, { ...vendorToken, scopes: ['spark:people_read'] }],
      });
      expect(catalog.vendorToken).toBeUndefined();
      expect(parseCatalog({ version: 1, integrations: [validIntegration] }).vendorToken).toBeUndefined();
    });

    it('stops on a catalog whose only integration is vendor-only', () => {
      expect(() => parseCatalog({ version: 1, integrations: [vendorToken] })).toThrow(
        /integrations: needs at least one integration/,
      );
    });
  });

  it('names the bad field when an Integration ID is malformed', () => {
    const document = { version: 1, integrations: [{ ...validIntegration, integrationId: 'X123' }] };
    expect(() => parseCatalog(document)).toThrow(CatalogError);
    expect(() => parseCatalog(document)).toThrow(
      /integrations\.0\.integrationId: must be a Webex Integration ID/,
    );
  });

  it('rejects duplicate keys and unknown fields', () => {
    const duplicate = {
      version: 1,
      integrations: [validIntegration, { ...validIntegration, integrationId: `C${'b'.repeat(64)}` }],
    };
    expect(() => parseCatalog(duplicate)).toThrow(/integrations\.1\.key: duplicate key "users-sync"/);
    const unknownField = { version: 1, integrations: [{ ...validIntegration, clientSecret: 'x' }] };
    expect(() => parseCatalog(unknownField)).toThrow(/integrations\.0: Unrecognized key/);
  });

  it('rejects an unknown catalog version and text that is not JSON', () => {
    expect(() => parseCatalog({ version: 2, integrations: [validIntegration] })).toThrow(/version/);
    expect(() => parseCatalogJson('{ nope', 'override.json')).toThrow(/\(override\.json\): not JSON/);
  });

  it('reports a file that is not JSON on one line naming the file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'catalog-')), 'catalog.json');
    writeFileSync(file, '{\n  "version": 1,\n  "integrations": [\n  }\n');
    expect(() => readCatalogFile(file)).toThrow(CatalogError);
    const message = (() => {
      try {
        readCatalogFile(file, 'config/catalog.json');
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    expect(message).toMatch(/^Invalid integration catalog \(config\/catalog\.json\): not JSON \(.+\)$/);
    expect(message).not.toContain('\n');
    expect(() => readCatalogFile(join(file, '..', 'missing.json'))).toThrow(
      /cannot read .*missing\.json \(ENOENT\)/,
    );
  });

  it('bundles the same catalog the file holds', () => {
    expect(bundledCatalog().integrations).toEqual(defaultCatalog().integrations);
  });

  it('prefers a CATALOG_JSON override and names it when it is not JSON', () => {
    expect(
      loadCatalog(undefined, () => parseCatalog({ version: 1, integrations: [validIntegration] })).keys,
    ).toEqual(['users-sync']);
    expect(
      loadCatalog(JSON.stringify({ version: 1, integrations: [validIntegration] }), bundledCatalog).keys,
    ).toEqual(['users-sync']);
    expect(() => loadCatalog('{"version":1,\n', bundledCatalog)).toThrow(
      /^Invalid integration catalog \(CATALOG_JSON\): not JSON/,
    );
  });
});
