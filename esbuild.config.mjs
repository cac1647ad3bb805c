// Bundles the extension, the reference server, the integration test runner
// and the benchmarks. `vscode` is always external: the host provides it.
import { existsSync } from 'node:fs';
import * as esbuild from 'esbuild';

const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const watch = args.has('--watch');
const withTests = args.has('--tests');
// Where the bundles go: dist/, unless a test asks for a directory of its own.
const out = process.env.SPARK_BUILD_OUT ?? 'dist';

/** @type {esbuild.BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  minify: production,
  external: ['vscode', 'bufferutil', 'utf-8-validate'],
  logLevel: 'info',
};

const builds = [
  { ...common, entryPoints: ['src/extension.ts'], outfile: `${out}/extension.js` },
  {
    ...common,
    entryPoints: ['src/server/main.ts'],
    outfile: `${out}/server.js`,
    banner: { js: '#!/usr/bin/env node' },
  },
];
if (withTests) {
  builds.push(
    { ...common, entryPoints: ['test/integration/index.ts'], outfile: `${out}/test/integration/index.js` },
    { ...common, entryPoints: ['test/integration/reload.ts'], outfile: `${out}/test/integration/reload.js` },
  );
  if (existsSync('bench/index.ts')) {
    builds.push(
      { ...common, entryPoints: ['bench/index.ts'], outfile: `${out}/bench/index.js` },
      { ...common, entryPoints: ['bench/host/index.ts'], outfile: `${out}/bench/host/index.js` },
    );
  }
}

if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
