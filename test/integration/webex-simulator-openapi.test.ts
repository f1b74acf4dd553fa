import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  obtainTokens,
  startWebexSimulator,
  type TokenResponse,
  type WebexSimulator,
} from '#local/webex-simulator/index.js';
import { compileResponseSchema, expectValid } from '#test-support/openapi-schema.js';

/**
 * Validates the simulator's answers against Cisco's own OpenAPI spec of the Admin APIs, so the
 * simulator cannot drift from Webex's shapes unnoticed: the paths it serves and their schemas,
 * extracted unchanged from the spec (test/fixtures/webex-openapi/README.md says how).
 *
 * The spec marks no Person, Role or Authorization field as required, which would let a missing
 * field pass. These are the fields the simulator promises (and the product reads); the test adds
 * them as `required`, and forbids fields the spec does not know.
 */
const promisedFields: Record<string, string[]> = {
  Person: [
    'id',
    'emails',
    'displayName',
    'firstName',
    'lastName',
    'orgId',
    'roles',
    'licenses',
    'created',
    'lastModified',
    'lastActivity',
    'status',
    'type',
  ],
  RoleCollectionResponse: ['items'],
  Role: ['id', 'name'],
  ListAuthorizations: ['items'],
  Authorization: ['id', 'applicationId', 'applicationName', 'personId', 'clientId', 'created', 'type'],
};
/** Shown only to an admin of the person's org (spec text), so required only in that view. */
const adminOnlyPersonFields = ['loginEnabled', 'invitePending'];

const validators = {
  me: compileResponseSchema('/people/me', { required: promisedFields }),
  personAsAdmin: compileResponseSchema('/people/{personId}', {
    required: { ...promisedFields, Person: [...(promisedFields.Person ?? []), ...adminOnlyPersonFields] },
  }),
  roles: compileResponseSchema('/roles', { required: promisedFields }),
  authorizations: compileResponseSchema('/authorizations', { required: promisedFields }),
  tokenExpiry: compileResponseSchema('/authorizations/tokenExpiry', { required: promisedFields }),
};

const redirectUri = 'http://127.0.0.1:9/oauth/callback';
const integration = {
  clientId: 'Cschema0000000000000000000000000000000000000000000000000000000000',
  clientSecret: 'schema-secret',
  name: 'Schema check',
  redirectUris: [redirectUri],
};

let sim: WebexSimulator;
let admin: TokenResponse;
let userId: string;
const bodies: Record<keyof typeof validators, unknown> = {
  me: undefined,
  personAsAdmin: undefined,
  roles: undefined,
  authorizations: undefined,
  tokenExpiry: undefined,
};

async function getJson(path: string): Promise<unknown> {
  const response = await fetch(`${sim.url}${path}`, {
    headers: { Authorization: `Bearer ${admin.access_token}` },
  });
  expect(response.status, path).toBe(200);
  return response.json();
}

beforeAll(async () => {
  sim = await startWebexSimulator({ integrations: [integration] });
  admin = await obtainTokens(sim.url, {
    integration: { ...integration, redirectUri },
    person: 'admin@demo.example',
    scopes: [
      'spark:people_read',
      'spark-admin:people_read',
      'spark-admin:roles_read',
      'identity:tokens_read',
    ],
  });
  await obtainTokens(sim.url, {
    integration: { ...integration, redirectUri },
    person: 'user@demo.example',
    scopes: ['spark:people_read'],
  });
  await fetch(`${sim.url}/_sim/people/user@demo.example/deactivate`, { method: 'POST' });
  const people = (await (await fetch(`${sim.url}/_sim/people`)).json()) as Array<{
    id: string;
    email: string;
  }>;
  userId = people.find((person) => person.email === 'user@demo.example')?.id ?? '';
  bodies.me = await getJson('/v1/people/me');
  bodies.personAsAdmin = await getJson(`/v1/people/${userId}`);
  bodies.roles = await getJson('/v1/roles');
  bodies.authorizations = await getJson('/v1/authorizations?personEmail=admin@demo.example');
  bodies.tokenExpiry = await getJson('/v1/authorizations/tokenExpiry');
});
afterAll(async () => {
  await sim.close();
});

describe("the simulator's answers match Cisco's OpenAPI spec", () => {
  it('GET /v1/people/me is a Person', () => {
    expectValid(validators.me, bodies.me);
  });

  it('GET /v1/people/{personId} is a Person with the admin-only fields, loginEnabled "false" when deactivated', () => {
    expectValid(validators.personAsAdmin, bodies.personAsAdmin);
    expect(bodies.personAsAdmin).toMatchObject({ id: userId, loginEnabled: 'false' });
  });

  it('GET /v1/roles is a RoleCollectionResponse', () => {
    expectValid(validators.roles, bodies.roles);
  });

  it('GET /v1/authorizations is a ListAuthorizations with items', () => {
    expectValid(validators.authorizations, bodies.authorizations);
    expect((bodies.authorizations as { items: unknown[] }).items.length).toBeGreaterThan(0);
  });

  it('GET /v1/authorizations/tokenExpiry has exp', () => {
    expectValid(validators.tokenExpiry, bodies.tokenExpiry);
  });
});

describe('the schema check itself', () => {
  const person = () => structuredClone(bodies.personAsAdmin) as Record<string, unknown>;

  it.each([
    ['a boolean loginEnabled', (body: Record<string, unknown>) => (body.loginEnabled = false)],
    ['a missing id', (body: Record<string, unknown>) => delete body.id],
    ['a missing admin-only field', (body: Record<string, unknown>) => delete body.invitePending],
    ['a status outside the enum', (body: Record<string, unknown>) => (body.status = 'away')],
    ['emails as a string', (body: Record<string, unknown>) => (body.emails = 'a@b.example')],
    ['a field the spec does not know', (body: Record<string, unknown>) => (body.active = true)],
  ])('rejects a Person with %s', (_case, mutate) => {
    const body = person();
    mutate(body);
    expect(validators.personAsAdmin(body)).toBe(false);
  });

  it('rejects a role without a name, an authorization of an unknown type and a string exp', () => {
    expect(validators.roles({ items: [{ id: 'x' }] })).toBe(false);
    const authorizations = structuredClone(bodies.authorizations) as {
      items: Array<Record<string, unknown>>;
    };
    const [first] = authorizations.items;
    if (first) first.type = 'session';
    expect(validators.authorizations(authorizations)).toBe(false);
    expect(validators.tokenExpiry({ exp: '1768630439322' })).toBe(false);
  });
});
