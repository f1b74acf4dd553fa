import fc from 'fast-check';
import { expect } from 'vitest';
import type { Answer, WorldSnapshot } from './security-harness.js';

/**
 * Markers that can only appear raw in a page if a value was echoed without escaping: each starts
 * with a character the page escaper rewrites (`<`, `"`, `'`, `` ` ``), followed by a tag we own.
 */
export const CANARY_TAG = 'q7zcanary';
const CANARY_PAYLOADS = [
  `<${CANARY_TAG}>`,
  `"${CANARY_TAG}=1`,
  `'${CANARY_TAG}=1`,
  `\`${CANARY_TAG}`,
  `</title><${CANARY_TAG} onerror=alert(1)>`,
  `"><${CANARY_TAG} src=x>`,
  `javascript:${CANARY_TAG}`,
];
/** What a page must never contain if it escaped every echoed value. */
export const RAW_CANARIES = [`<${CANARY_TAG}`, `"${CANARY_TAG}`, `'${CANARY_TAG}`, `\`${CANARY_TAG}`];

/** Strings attackers like: injection payloads, control characters, direction overrides, prototypes. */
const NASTY = [
  '',
  ' ',
  '\u0000',
  '\r\nSet-Cookie: injected=1',
  '\r\nLocation: https://evil.example',
  '%0d%0aLocation:%20https://evil.example',
  '%00',
  '%',
  '%zz',
  '%E0%A4%A',
  '../../../../etc/passwd',
  '..%2f..%2fadmin',
  '\u202e\u2066evil',
  '\ud800',
  '\udfff\ud800',
  '${7*7}',
  '{{7*7}}',
  "' OR '1'='1",
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'https://evil.example/',
  '//evil.example',
  'null',
  'undefined',
  '[]',
  '{}',
  '-1',
  '1e309',
  'NaN',
  '\uFEFF',
  '𝓤𝓷𝓲𝓬𝓸𝓭𝓮',
  '🔑🔑🔑',
  'Ａｄｍｉｎ',
];

/** Any text: any code point (lone surrogates included), graphemes, payloads, canaries, huge. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.string({ unit: 'grapheme-ascii', maxLength: 8 }),
        fc.constantFrom(...CANARY_PAYLOADS),
        fc.string({ unit: 'binary', maxLength: 8 }),
      )
      .map(([before, canary, after]) => `${before}${canary}${after}`),
  },
  { weight: 1, arbitrary: fc.integer({ min: 500, max: 70_000 }).map((length) => 'A'.repeat(length)) },
);

/**
 * Percent-encodes whatever the text holds. A lone surrogate has no UTF-8 form, so it becomes the
 * bytes of an (invalid) encoded surrogate: the server then sees malformed UTF-8, as an attacker
 * can send it.
 */
export function encodeLoose(text: string): string {
  let out = '';
  for (const character of text) {
    try {
      out += encodeURIComponent(character);
    } catch {
      out += '%ED%A0%80';
    }
  }
  return out;
}

/** A parameter as it goes on the wire: percent-encoded, or verbatim (`&`, `=`, `#` and all). */
export function wireParameter(name: string, value: string, raw: boolean): string {
  return raw ? `${name}=${value}` : `${encodeLoose(name)}=${encodeLoose(value)}`;
}

/** A raw query string from (name, value, raw) triples; repeats happen whenever the names do. */
export function queryOf(pairs: readonly (readonly [string, string, boolean])[]): string {
  return pairs.map(([name, value, raw]) => wireParameter(name, value, raw)).join('&');
}

/** Percent-encoding that does not decode: truncated escapes, bad hex, overlong or surrogate UTF-8. */
export const malformedEscapes: fc.Arbitrary<string> = fc
  .array(
    fc.constantFrom(
      '%',
      '%z',
      '%zz',
      '%E0%A4%A',
      '%ED%A0%80',
      '%C0%AF',
      '%FF',
      '%F4%90%80%80',
      '%00',
      '%2F',
      'a',
    ),
    {
      minLength: 1,
      maxLength: 4,
    },
  )
  .map((parts) => parts.join(''));

/** A path segment: percent-encoded, verbatim, double-encoded, or with escapes that do not decode. */
export const pathSegment = (values: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc
    .tuple(values, fc.constantFrom('encoded', 'raw', 'double', 'malformed'), malformedEscapes)
    .map(([value, mode, junk]) => {
      if (mode === 'raw') return value;
      if (mode === 'encoded') return encodeLoose(value);
      if (mode === 'double') return encodeLoose(encodeLoose(value));
      return `${encodeLoose(value).slice(0, 20)}${junk}`;
    });

/** HTTP methods, mostly the ones routes exist for, some odd ones. */
export const method: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constant('GET') },
  {
    weight: 3,
    arbitrary: fc.constantFrom('POST', 'PATCH', 'DELETE', 'PUT', 'HEAD', 'OPTIONS', 'TRACE', 'get', 'Post'),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 10 }) },
);

/** Request headers, some of them ones the handlers could read (accept, cookie, host, forwarded). */
export const headers: fc.Arbitrary<Record<string, string>> = fc
  .tuple(
    fc.dictionary(
      fc.constantFrom(
        'accept',
        'cookie',
        'host',
        'x-forwarded-for',
        'x-forwarded-host',
        'origin',
        'referer',
        'content-type',
        'authorization',
        'user-agent',
      ),
      hostileText,
      { maxKeys: 4 },
    ),
    fc.dictionary(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }), hostileText, {
      maxKeys: 3,
    }),
    fc.boolean(),
  )
  .map(([known, any, html]) => ({ ...any, ...known, ...(html ? { accept: 'text/html,*/*' } : {}) }));

/** A cursor as the admin API issues them (base64url JSON) but naming whatever keys the attacker likes. */
export const forgedCursor: fc.Arbitrary<string> = fc
  .oneof(
    fc.dictionary(
      fc.constantFrom('pk', 'sk', 'tenantList', 'tenantId', 'dueShard', 'nextCheckAt', 'x'),
      fc.oneof(
        fc.constantFrom('TENANT#acme', 'TENANT#other', 'TENANTS', 'EVENT#2026', 'STATE#x', 'AUTH#presence'),
        hostileText,
        fc.integer(),
      ),
      { maxKeys: 4 },
    ),
    fc.jsonValue(),
  )
  .map((value) => Buffer.from(JSON.stringify(value)).toString('base64url'));

/** Flips one character of a base64url string to another base64url character. */
export function mutateBase64url(value: string, index: number, replacement: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const at = index % value.length;
  const current = alphabet.indexOf(value[at] ?? 'A');
  const next = alphabet[(current + 1 + (replacement % (alphabet.length - 1))) % alphabet.length] ?? 'A';
  return `${value.slice(0, at)}${next}${value.slice(at + 1)}`;
}

/** Fails unless every value a request echoed was escaped (no raw canary in the page). */
export function expectEscaped(answer: Answer, where: string): void {
  for (const canary of RAW_CANARIES)
    expect(answer.body.includes(canary), `${where}: raw ${canary}`).toBe(false);
}

/** Fails when an answer reveals internals or could split a header. */
export function expectNoLeak(answer: Answer, where: string, internals: readonly string[]): void {
  expect(answer.body, where).not.toMatch(/\bat \S+\.(?:ts|js|mjs):\d+/);
  for (const internal of internals)
    expect(answer.body.includes(internal), `${where}: reveals ${internal}`).toBe(false);
  for (const [name, value] of Object.entries(answer.headers)) {
    expect(/[\r\n\0]/.test(value), `${where}: header ${name} carries a line break`).toBe(false);
  }
  for (const cookie of answer.cookies) {
    expect(/[\r\n\0]/.test(cookie), `${where}: a Set-Cookie carries a line break`).toBe(false);
  }
}

/** Fails unless nothing durable was written: table (OAuth states aside, tokens and contacts included), vault seals, events. */
export function expectNothingDurableWritten(
  before: WorldSnapshot,
  after: WorldSnapshot,
  where: string,
): void {
  expect(after.durable, `${where}: table changed`).toEqual(before.durable);
  expect(after.vaultWrites, `${where}: vault written`).toBe(before.vaultWrites);
  expect(after.published, `${where}: event published`).toBe(before.published);
}
