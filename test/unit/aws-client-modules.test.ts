import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const functionsDir = join(import.meta.dirname, '..', '..', 'functions');
const CLIENT_MODULES = ['commons/aws-clients.ts', 'commons/untraced-aws-clients.ts'];
const SDK_CLIENT =
  /new (?:[A-Z][A-Za-z0-9]*)?(?:DynamoDB|KMS|SecretsManager|EventBridge|SNS|SQS|SESv2)Client\(/;

/** The TypeScript files under functions/, by their path from it. */
function functionSources(): string[] {
  return readdirSync(functionsDir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(functionsDir, join(entry.parentPath, entry.name)));
}

/*
 * The cost bench counts every AWS call the functions make by instrumenting the clients of these
 * two modules (bench/cost-measure.ts); a client built anywhere else escapes it and, in the bench,
 * calls AWS itself.
 */
describe('AWS SDK clients of the functions', () => {
  it('are built only in the two client modules the cost bench instruments', () => {
    const sources = functionSources();
    const building = sources.filter((path) =>
      SDK_CLIENT.test(readFileSync(join(functionsDir, path), 'utf8')),
    );
    expect(building.sort()).toEqual(CLIENT_MODULES);
  });
});
