import type { TestProject } from 'vitest/node';
import { chooseChromium, type ChromiumChoice } from './browser.js';

declare module 'vitest' {
  export interface ProvidedContext {
    chromium: ChromiumChoice;
  }
}

/**
 * Chooses the browser once per run: the npm package unpacks its Chromium on first use, and two
 * test files unpacking it at once would each find the other's half-written binary.
 */
export async function setup(project: TestProject): Promise<void> {
  const choice = await chooseChromium();
  console.log(`browser tests use ${choice.executablePath} (${choice.source})`);
  project.provide('chromium', choice);
}
