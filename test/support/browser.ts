import { existsSync } from 'node:fs';
import sparticuzChromium from '@sparticuz/chromium';
import { chromium, type Browser } from 'playwright-core';
import { inject } from 'vitest';

/** Debian's chromium, used when installed: playwright cannot download a browser on this network. */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/** Headless, and no background connections (they are refused here and slow every start). */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Which Chromium the browser tests launch, and the command-line switches it needs. */
export interface ChromiumChoice {
  executablePath: string;
  args: string[];
  /** Where it came from, for the test report: `CHROMIUM_PATH`, Debian or the npm package. */
  source: 'CHROMIUM_PATH' | 'debian' | '@sparticuz/chromium';
}

/**
 * Picks the browser: `CHROMIUM_PATH` when set (it must exist), else Debian's chromium when present,
 * else the headless Chromium shipped in `@sparticuz/chromium`, unpacked into the system's temp
 * directory. The package's own switches come first, ours last, so ours win where both set one.
 */
export async function chooseChromium(env: NodeJS.ProcessEnv = process.env): Promise<ChromiumChoice> {
  const configured = env.CHROMIUM_PATH;
  if (configured) {
    if (!existsSync(configured)) {
      throw new Error(
        `CHROMIUM_PATH is ${configured}, which does not exist. Fix: point it at a Chromium binary, or unset it`,
      );
    }
    return { executablePath: configured, args: CHROMIUM_ARGS, source: 'CHROMIUM_PATH' };
  }
  if (existsSync(DEBIAN_CHROMIUM)) {
    return { executablePath: DEBIAN_CHROMIUM, args: CHROMIUM_ARGS, source: 'debian' };
  }
  // Its --single-process suits one page per Lambda; here closing a test's context would end the
  // browser. Its --headless='shell' would repeat ours: the binary is the headless shell either way.
  const packageArgs = sparticuzChromium.args.filter(
    (arg) => arg !== '--single-process' && !arg.startsWith('--headless'),
  );
  return {
    executablePath: await sparticuzChromium.executablePath(),
    args: [...packageArgs, ...CHROMIUM_ARGS],
    source: '@sparticuz/chromium',
  };
}

/** Launches the Chromium the browser tier's global setup chose (see `chooseChromium`). */
export async function launchChromium(): Promise<Browser> {
  const { executablePath, args } = inject('chromium');
  return chromium.launch({ executablePath, args });
}
