import shippedCatalogDocument from '#config/catalog.json' with { type: 'json' };
import { parseCatalog, type Catalog } from '#domain/catalog.js';

/**
 * The shipped catalog as esbuild inlines it into each Lambda bundle (a bundle has no
 * `config/catalog.json` to read). Only the `*.handler.ts` entry points import this module: its
 * static JSON import is checked at bundling, and `cdk synth` validates the file's text before it
 * bundles anything, so a syntax error stops the synth with one line. Everything that runs from
 * the source tree (local run, synth, tests) reads the file with `defaultCatalog` instead.
 */
export function bundledCatalog(): Catalog {
  return parseCatalog(shippedCatalogDocument, 'config/catalog.json');
}
