import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_MAIL_VALUE_LENGTH,
  MAX_SUBJECT_LENGTH,
  mailSentence,
  mailSubject,
  mailValue,
} from '#domain/mail-text.js';

/** Any JavaScript string: every UTF-16 unit, lone surrogates included. */
const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.string({
    unit: fc.constantFrom('\n', '\r', '\u2028', '\u0085', '\t', ' ', 'é', '😀', 'a', '\u202e'),
    maxLength: 300,
  }),
);

/** What SNS accepts as a Subject: printable ASCII, starting with a printable non-space, under 100 characters. */
const SNS_SUBJECT = /^[\x21-\x7e][\x20-\x7e]*$/;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('mailSubject', () => {
  it('turns any string into a subject SNS accepts: one line of printable ASCII, 1 to 99 characters', () => {
    fc.assert(
      fc.property(anyString, (text) => {
        const subject = mailSubject(text);
        expect(subject).toMatch(SNS_SUBJECT);
        expect(subject.length).toBeGreaterThan(0);
        expect(subject.length).toBeLessThanOrEqual(MAX_SUBJECT_LENGTH);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps a short printable subject as it is and marks a cut one with an ellipsis', () => {
    expect(mailSubject('Refused: Acme - presence')).toBe('Refused: Acme - presence');
    const long = mailSubject(`Refused: ${'Ünïcode Tenant '.repeat(20)}`);
    expect(long).toHaveLength(MAX_SUBJECT_LENGTH);
    expect(long.endsWith('...')).toBe(true);
    expect(long.startsWith('Refused: Unicode Tenant Unicode')).toBe(true);
  });

  it('writes one question mark per character it cannot fold, an emoji included', () => {
    expect(mailSubject('Tenant 😀 東京')).toBe('Tenant ? ??');
  });

  it('never answers an empty subject', () => {
    expect(mailSubject('\n\u0000\u2028 ')).toMatch(SNS_SUBJECT);
  });
});

describe('mailValue', () => {
  it('turns any string into one line: no control character, line or paragraph separator, bidi control or lone surrogate, at most the limit in code points', () => {
    fc.assert(
      fc.property(anyString, fc.integer({ min: 1, max: 300 }), (text, max) => {
        const value = mailValue(text, max);
        expect(value).not.toMatch(/[\p{Cc}\p{Zl}\p{Zp}\u202a-\u202e\u2066-\u2069]/u);
        expect(value).not.toMatch(LONE_SURROGATE);
        expect(Array.from(value).length).toBeLessThanOrEqual(max);
        expect(value).toBe(value.trim());
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps a clean value whole, Unicode included', () => {
    fc.assert(
      fc.property(
        fc
          .string({ unit: 'grapheme-composite', maxLength: 50 })
          .map((text) => text.replace(/\s+/gu, ' ').trim()),
        (text) => {
          fc.pre(!/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(text));
          expect(mailValue(text)).toBe(text);
        },
      ),
    );
    expect(mailValue('Zoë Ølsen 😀 東京')).toBe('Zoë Ølsen 😀 東京');
  });

  it('cuts between code points, never inside a surrogate pair', () => {
    const emoji = '😀'.repeat(MAX_MAIL_VALUE_LENGTH + 5);
    const value = mailValue(emoji);
    expect(Array.from(value)).toHaveLength(MAX_MAIL_VALUE_LENGTH);
    expect(value).toBe('😀'.repeat(MAX_MAIL_VALUE_LENGTH));
    expect(mailValue('a😀b', 2)).toBe('a😀');
  });

  it('turns line breaks into spaces, so a value cannot start a line of its own', () => {
    expect(mailValue('X\r\nRe-authorize now at https://evil.example/login')).toBe(
      'X Re-authorize now at https://evil.example/login',
    );
    expect(mailSentence(`${'word '.repeat(100)}\nend`)).toBe(`${'word '.repeat(100)}end`);
  });
});
