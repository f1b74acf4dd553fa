import * as z from 'zod';
import { ConfigError, parseEnvironment } from '#commons/config.js';
import { startWebexSimulator } from './index.js';

/** Runs the Webex simulator on its own: `tsx local/webex-simulator/main.ts`. */
const environmentSchema = z.object({
  WEBEX_SIM_PORT: z.coerce.number().int().min(0).max(65_535).default(8788),
});

let environment: z.infer<typeof environmentSchema>;
try {
  environment = parseEnvironment(environmentSchema);
} catch (error) {
  // One line naming the bad variable says what to fix; a stack trace would only hide it.
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const simulator = await startWebexSimulator({ port: environment.WEBEX_SIM_PORT });
console.log(`Webex simulator: ${simulator.url}`);

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`Webex simulator: ${signal}, stopping`);
  // Closing the server is all it takes: nothing else holds the event loop, so the process ends.
  await simulator.close();
}
process.once('SIGINT', (signal) => void stop(signal));
process.once('SIGTERM', (signal) => void stop(signal));
