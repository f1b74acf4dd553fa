#!/usr/bin/env node
// The webex-auth-keeper CLI. The commands are TypeScript (cli/webex-auth-keeper.ts), run through
// tsx's loader, which the repository's devDependencies provide (npm ci).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./webex-auth-keeper.ts');
process.exitCode = await main(process.argv.slice(2));
