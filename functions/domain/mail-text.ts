/*
 * Mail text is data: whatever a Webex answer, an admin or a link holder supplies (tenant names,
 * display names, emails, org names, Webex's details) reaches an alert only through these
 * functions, so it can neither break SNS's limits nor start a line of its own.
 */

/**
 * The longest subject: SNS refuses one of 100 characters or more; SES takes longer ones, so SNS's
 * limit is the tighter of the two.
 */
export const MAX_SUBJECT_LENGTH = 99;

/** SNS's limit on a message: 256 KB of UTF-8 (262,144 bytes, not characters). */
export const MAX_MESSAGE_BYTES = 262_144;

/** The longest value one mail line carries, in code points; a tenant name or display name is far shorter. */
export const MAX_MAIL_VALUE_LENGTH = 200;

/** What a subject is when nothing printable is left of it: SNS refuses an empty one. */
const FALLBACK_SUBJECT = 'Webex authorization alert';

/** A high surrogate without its low half, or a low one without its high half. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Characters that end or disguise a line: controls (C0, DEL, C1), the Unicode line and paragraph
 * separators, every other whitespace, and the bidirectional controls that reorder what a reader sees.
 */
const LINE_BREAKING = /[\p{Cc}\p{Zl}\p{Zp}\s\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]+/gu;

/** Cuts to at most `max` code points, so a surrogate pair is kept whole or dropped whole. */
function cutCodePoints(text: string, max: number): string {
  const codePoints = Array.from(text);
  return codePoints.length <= max ? text : codePoints.slice(0, max).join('');
}

/**
 * One value as it may enter a mail line: line breaks, controls and bidirectional controls become
 * single spaces, lone surrogates (not encodable as UTF-8) become U+FFFD, other Unicode is kept,
 * trimmed and cut to `max` code points (MAX_MAIL_VALUE_LENGTH), never inside a surrogate pair.
 */
export function mailValue(text: string, max = MAX_MAIL_VALUE_LENGTH): string {
  const oneLine = text.replace(LONE_SURROGATE, '\uFFFD').replace(LINE_BREAKING, ' ').trim();
  return cutCodePoints(oneLine, max).trimEnd();
}

/**
 * One of our sentences that embeds such values (an event's summary, a cause's evidence) as one mail
 * line: cleaned like `mailValue`, not cut, as the values in it are already bounded.
 */
export function mailSentence(text: string): string {
  return mailValue(text, Number.POSITIVE_INFINITY);
}

/**
 * The one way to a mail subject, for every alert: a single line of printable ASCII (accents folded,
 * anything else one `?` per character), starting with a printable character, fewer than 100
 * characters (cut with `...`), never empty.
 */
export function mailSubject(text: string): string {
  const ascii = mailSentence(text)
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^\x20-\x7e]/gu, '?')
    .replace(/ {2,}/g, ' ')
    .trim();
  if (ascii === '') return FALLBACK_SUBJECT;
  return ascii.length <= MAX_SUBJECT_LENGTH
    ? ascii
    : `${ascii.slice(0, MAX_SUBJECT_LENGTH - 3).trimEnd()}...`;
}
