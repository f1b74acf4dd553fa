import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const { default: config } = (await import(new URL('../../eslint.config.js', import.meta.url).href)) as {
  default: Linter.Config[];
};

// The lint block that guards functions/domain/**, run alone so that a synthetic file needs no project.
const domainRules = config.find((block) => block.files?.includes('functions/domain/**/*.ts'))?.rules;

function importErrors(source: string): string[] {
  const linter = new Linter({ configType: 'flat' });
  return linter
    .verify(
      source,
      [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser }, rules: domainRules ?? {} }],
      'functions/domain/probe.ts',
    )
    .map((message) => message.message);
}

describe('the domain import rule', () => {
  it('is found in eslint.config.js', () => {
    expect(domainRules?.['no-restricted-imports']).toBeDefined();
  });

  it.each([
    ["import { DynamoDBClient } from '@aws-sdk/client-dynamodb';", /no AWS SDK/],
    ["import type { SQSEvent } from 'aws-lambda';", /no Lambda event types/],
    ["import { readFileSync } from 'node:fs';", /reads no files/],
    ["import { composeKeeper } from '../commons/composition-root.js';", /no adapter, wiring or HTTP/],
    ["import { composeKeeper } from '#commons/composition-root.js';", /no adapter, wiring or HTTP/],
    ["import { toHttpError } from '#http/errors.js';", /no adapter, wiring or HTTP/],
    ["import { createTable } from '#adapters/dynamodb.js';", /no adapter, wiring or HTTP/],
    ["import { startLocal } from '#local/start.js';", /nothing from the local run/],
    ["import { startLocal } from '#local/start.js';", /nothing from the local run/],
    ["import { KeeperStack } from '#lib/stack.js';", /nothing from the local run/],
    ["import { fakes } from '#test-support/fakes/index.js';", /nothing from the local run/],
  ])('refuses %s', (source, message) => {
    expect(importErrors(source)).toEqual([expect.stringMatching(message)]);
  });

  it.each([
    "import { z } from 'zod';",
    "import type { Clock } from './ports.js';",
    "import { publishAndClear } from '#domain/outbox.js';",
  ])('accepts %s', (source) => {
    expect(importErrors(source)).toEqual([]);
  });
});
