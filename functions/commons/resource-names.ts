/*
 * The physical names the stack derives from its stack name, as plain functions: the stack
 * (lib/names.ts, lib/token-store.ts) and the token client package (packages/token-client), which
 * finds the token key and the client-secrets secret from the stack name alone, compute them here.
 */

/**
 * The prefix of every physical name a stack sets: its stack name in kebab case
 * (`WebexAuthKeeper` gives `webex-auth-keeper`, `staging` gives `staging`).
 */
export function resourceNamePrefixOf(stackName: string): string {
  return stackName
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

/** The name, under the stack's prefix, of the secret holding the integrations' client secrets. */
export const CLIENT_SECRETS_NAME = 'client-secrets';

/** The name, under the stack's prefix, of the alias of the key that seals the tokens. */
export const TOKEN_KEY_NAME = 'token-key';
