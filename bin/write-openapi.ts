import { writeFileSync } from 'node:fs';
import { brotliCompressSync } from 'node:zlib';
import { buildAdminOpenApiDocument } from '#http/admin-openapi.js';

/**
 * Writes the two checked-in copies of the document the admin API serves at
 * `GET /admin/openapi.json` (`npm run openapi`; a test fails while either differs from what the
 * routes' schemas generate): docs/openapi.json to read, and the compressed copy the admin
 * function serves (functions/http/admin-openapi-document.ts).
 */
const document = buildAdminOpenApiDocument();
const docsTarget = new URL('../docs/openapi.json', import.meta.url);
writeFileSync(docsTarget, `${JSON.stringify(document, null, 2)}\n`);
const compressed = brotliCompressSync(JSON.stringify(document)).toString('base64');
const moduleTarget = new URL('../functions/http/admin-openapi-document.ts', import.meta.url);
writeFileSync(
  moduleTarget,
  `/*
 * Written by \`npm run openapi\` (bin/write-openapi.ts); do not edit. The admin API's OpenAPI
 * document, brotli-compressed and base64-encoded: generating it in the function would bundle
 * zod-openapi (about 24 KB with the generator), the JSON itself about 30 KB, this about 4 KB.
 */
export const ADMIN_OPENAPI_DOCUMENT_BROTLI = '${compressed}';
`,
);
process.stdout.write(`Wrote ${docsTarget.pathname} and ${moduleTarget.pathname}\n`);
