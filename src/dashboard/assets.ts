/**
 * The page's static files, built by `npm run build` (esbuild, uPlot bundled:
 * no CDN, the page works offline) into `dist/dashboard/`. Read once, on the
 * first request, and kept in memory (a few hundred KB).
 *
 * Caching: the HTML names each asset with `?v=<content hash>`, and an asset
 * asked for with the current hash is served as immutable for a year; any
 * other request for it revalidates by ETag. A new build therefore reaches
 * browsers at once, and an unchanged one is never downloaded twice.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The files the build writes to `assets/`, by URL name. */
export const ASSET_FILES = Object.freeze({
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
});
export type AssetName = keyof typeof ASSET_FILES;

export interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
  /** First 16 hex digits of the content's SHA-256. */
  readonly hash: string;
}

export interface DashboardAssets {
  /** The page, with asset URLs filled in. */
  readonly html: string;
  readonly files: ReadonlyMap<string, Asset>;
}

/**
 * Where the built page is: beside this module once compiled (`dist/dashboard/`),
 * or in the package's `dist/dashboard/` when this module runs from `src/` (tests, tsx).
 */
export function defaultAssetsDir(): string {
  const here = fileURLToPath(new URL('./', import.meta.url));
  if (existsSync(join(here, 'index.html'))) return here;
  return fileURLToPath(new URL('../../dist/dashboard/', import.meta.url));
}

/** Reads the built page; undefined when it was not built. */
export function loadAssets(dir: string): DashboardAssets | undefined {
  const htmlPath = join(dir, 'index.html');
  if (!existsSync(htmlPath)) return undefined;
  const files = new Map<string, Asset>();
  for (const [name, contentType] of Object.entries(ASSET_FILES)) {
    const path = join(dir, 'assets', name);
    if (!existsSync(path)) return undefined;
    const body = readFileSync(path);
    files.set(name, {
      body,
      contentType,
      hash: createHash('sha256').update(body).digest('hex').slice(0, 16),
    });
  }
  const html = readFileSync(htmlPath, 'utf8').replace(/%ASSET:([a-z.]+)%/g, (_match, name: string) => {
    const asset = files.get(name);
    return asset ? `/dashboard/assets/${name}?v=${asset.hash}` : '';
  });
  return { html, files };
}
