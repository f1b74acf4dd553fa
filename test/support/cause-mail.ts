import { expect } from 'vitest';

/**
 * Asserts the cause section of a password tenant's invalidation mail when Webex could not tell a
 * password change, a deactivation and a Full Admin removal apart: the three possibilities, that
 * Webex cannot tell which, and the Control Hub check on `who`, never one of them as fact.
 */
export function expectThreeWayCauseMail(text: string, who: string): void {
  expect(text).toContain("Likely cause (Webex's answers point to it but do not prove it)");
  expect(text).toMatch(/password is changed/);
  expect(text).toMatch(/deactivated or removed from the organization/);
  expect(text).toMatch(/loses the Full Administrator role/);
  expect(text).toContain("Webex's answers cannot tell which of these happened.");
  expect(text).toContain(`To tell them apart, open Control Hub > Users and find ${who}:`);
  expect(text).toContain('- status Inactive, or not listed: the user was deactivated or removed;');
  expect(text).toContain(
    '- active, but Roles no longer show Full Administrator: the Full Administrator role was removed;',
  );
  expect(text).toContain(
    '- active and still a Full Administrator: the password was changed or their access was reset.',
  );
  expect(text).not.toMatch(/confirmed/i);
  expect(text).not.toMatch(/was deactivated in, or removed from|is no longer a Full Administrator/);
}
