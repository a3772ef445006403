/**
 * Builds the dashboard page into `dist/dashboard/` (run by `npm run build`
 * after tsc): the client TypeScript, uPlot and the styles bundled by esbuild
 * into `assets/app.js` and `assets/app.css`, and `index.html` beside them.
 * Everything the page needs ships in the package; nothing loads from a CDN.
 * Not part of the emitted library (tsconfig.build.json leaves it out):
 * esbuild is a dev dependency.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const CLIENT = fileURLToPath(new URL('./client/', import.meta.url));

export async function buildDashboardClient(outDir: string): Promise<void> {
  mkdirSync(join(outDir, 'assets'), { recursive: true });
  await build({
    // The script and the styles (uPlot's included by `@import`) become assets/app.js and assets/app.css.
    entryPoints: [
      { in: join(CLIENT, 'main.ts'), out: 'app' },
      { in: join(CLIENT, 'style.css'), out: 'app' },
    ],
    outdir: join(outDir, 'assets'),
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['chrome115', 'firefox115', 'safari16'],
    // uPlot's own header is not a legal comment esbuild keeps; its MIT notice must ship with it.
    banner: { js: `/*! ${uplotNotice()} */`, css: `/*! ${uplotNotice()} */` },
    logLevel: 'warning',
  });
  copyFileSync(join(CLIENT, 'index.html'), join(outDir, 'index.html'));
}

function uplotNotice(): string {
  const require = createRequire(import.meta.url);
  const pkg = JSON.parse(readFileSync(require.resolve('uplot/package.json'), 'utf8')) as { version: string };
  return `uPlot v${pkg.version} (c) Leon Sorokin, MIT License, https://github.com/leeoniya/uPlot`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outDir = process.argv[2] ?? fileURLToPath(new URL('../../dist/dashboard/', import.meta.url));
  await buildDashboardClient(outDir);
  console.log(`dashboard built into ${outDir}`);
}
