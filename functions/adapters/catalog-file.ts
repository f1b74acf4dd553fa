import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CatalogError, parseCatalogJson, type Catalog } from '#domain/catalog.js';

/*
 * The catalog read from disk, for the local run, the synth, the bench and the tests; the domain
 * only parses (domain/catalog.ts). A Lambda bundle has no catalog file: its handlers use
 * `bundledCatalog` (functions/commons/bundled-catalog.ts).
 */

/**
 * Reads and parses a catalog file. The text is read first and parsed with `parseCatalogJson`, so a
 * missing file, a JSON syntax error and a bad field all end as one CatalogError line naming the
 * file (a static `import` of the JSON would instead crash the importing process with a stack trace).
 */
export function readCatalogFile(path: string, source = path): Catalog {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new CatalogError(`Invalid integration catalog (${source}): cannot read ${path} (${reason})`);
  }
  return parseCatalogJson(text, source);
}

/** Absolute path of the shipped catalog, `config/catalog.json` at the repository root. */
export function defaultCatalogFile(): string {
  return fileURLToPath(new URL('../../config/catalog.json', import.meta.url));
}

/**
 * The catalog shipped in `config/catalog.json`, read from disk: what the local run, the synth and
 * the tests use. A Lambda bundle has no such file; its handlers use `bundledCatalog` instead.
 */
export function defaultCatalog(): Catalog {
  return readCatalogFile(defaultCatalogFile(), 'config/catalog.json');
}
