// Bundles the extension, the reference server, the integration test runner
// and the benchmarks. `vscode` is always external: the host provides it.
import { existsSync } from 'node:fs';
import * as esbuild from 'esbuild';

const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const watch = args.has('--watch');
const withTests = args.has('--tests');

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
  { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' },
  {
    ...common,
    entryPoints: ['src/server/main.ts'],
    outfile: 'dist/server.js',
    banner: { js: '#!/usr/bin/env node' },
  },
];
if (withTests) {
  builds.push(
    { ...common, entryPoints: ['test/integration/index.ts'], outfile: 'dist/test/integration/index.js' },
    { ...common, entryPoints: ['test/integration/reload.ts'], outfile: 'dist/test/integration/reload.js' },
  );
  if (existsSync('bench/index.ts')) {
    builds.push(
      { ...common, entryPoints: ['bench/index.ts'], outfile: 'dist/bench/index.js' },
      { ...common, entryPoints: ['bench/host/index.ts'], outfile: 'dist/bench/host/index.js' },
    );
  }
}

if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
