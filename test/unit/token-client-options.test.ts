import { describe, expect, it } from 'vitest';
import {
  createTokenAccess,
  TokenClientOptionsError,
  type TokenClientOptions,
} from '#packages/token-client/src/index.js';

/* The token client package's options: what it refuses before any AWS call. */
describe('createTokenAccess of the token client package', () => {
  it('wires itself from a table name and a region alone', () => {
    const tokens = createTokenAccess({
      tableName: 'WebexAuthKeeper-TokenStoreTable-1A2B3C',
      region: 'eu-west-1',
    });
    expect(typeof tokens.getAccessToken).toBe('function');
  });

  it.each([
    [{ tableName: '' }, /tableName/],
    [{ tableName: 'table', region: 'Ireland' }, /region/],
    [{ tableName: 'table', stackName: '1stack' }, /stackName/],
    [{ tableName: 'table', endpoints: { dynamoDb: 'not a url' } }, /endpoints\.dynamoDb/],
    [{ tableName: 'table', endpoints: { dynamo: 'http://127.0.0.1:8000' } }, /endpoints/],
    [{ tableName: 'table', catalog: { version: 1, integrations: 'none' } }, /catalog/],
  ])('refuses %j, naming the option', (options, named) => {
    // As a JavaScript caller may pass them: the types would have caught some.
    const given = options as TokenClientOptions;
    expect(() => createTokenAccess(given)).toThrow(named);
  });

  it('throws its own error type for bad options', () => {
    expect(() => createTokenAccess({ tableName: 'x' })).toThrow(TokenClientOptionsError);
  });
});
