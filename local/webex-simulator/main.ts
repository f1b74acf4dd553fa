import { z } from 'zod';
import { parseEnvironment } from '../../functions/commons/config.js';
import { startWebexSimulator } from './index.js';

/** Runs the Webex simulator on its own: `tsx local/webex-simulator/main.ts`. */
const environment = parseEnvironment(
  z.object({ WEBEX_SIM_PORT: z.coerce.number().int().min(0).max(65_535).default(8788) }),
);

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
