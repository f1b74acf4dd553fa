import { writeFileSync } from 'node:fs';
import { buildAdminOpenApiDocument } from '#http/admin-openapi.js';

/**
 * Writes docs/openapi.json, the checked-in copy of the document the admin API serves at
 * `GET /admin/openapi.json` (`npm run openapi`; a test fails while the two differ).
 */
const target = new URL('../docs/openapi.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(buildAdminOpenApiDocument(), null, 2)}\n`);
process.stdout.write(`Wrote ${target.pathname}\n`);
