#!/usr/bin/env node
// The webex-auth-keeper CLI. The commands are TypeScript (cli/webex-auth-keeper.ts), run through
// tsx's loader; tsx is a production dependency, so `npm ci --omit=dev` installs everything the
// CLI loads (test/integration/cli.test.ts checks each package it imports).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./webex-auth-keeper.ts');
process.exitCode = await main(process.argv.slice(2));
