// `npm test`: typecheck, lint, the vitest unit suites, then the integration
// suites in a real VS Code. Runs every stage, prints each stage's count and a
// closing "N passed, N failed" over all of them; exits non-zero on any failure.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './testHost.mjs';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const totals = { passed: 0, failed: 0 };
const lines = [];

function stage(name, command, args) {
  process.stdout.write(`\n=== ${name}\n`);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  return { ok: result.status === 0, seconds };
}

const check = (name, args) => {
  const r = stage(name, npm, args);
  if (r.ok) totals.passed++;
  else totals.failed++;
  lines.push(`${name}: ${r.ok ? 'ok' : 'FAILED'} (${r.seconds} s)`);
};

check('typecheck', ['run', '--silent', 'typecheck']);
check('lint', ['run', '--silent', 'lint']);

const unitJson = join(root, 'test-artifacts/unit-results.json');
rmSync(unitJson, { force: true });
const unit = stage('unit tests (vitest)', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${unitJson}`]);
if (existsSync(unitJson)) {
  const report = JSON.parse(readFileSync(unitJson, 'utf8'));
  totals.passed += report.numPassedTests;
  totals.failed += report.numFailedTests + (unit.ok || report.numFailedTests > 0 ? 0 : 1);
  lines.push(`unit: ${report.numPassedTests} passed, ${report.numFailedTests} failed (${unit.seconds} s)`);
} else {
  totals.failed++;
  lines.push('unit: the runner produced no report');
}

const build = stage('build', npm, ['run', '--silent', 'build:tests']);
if (!build.ok) {
  totals.failed++;
  lines.push('build: FAILED');
} else {
  process.stdout.write('\n=== integration tests (real VS Code extension host)\n');
  const started = Date.now();
  const summaryFile = join(root, 'test-artifacts/integration-summary.json');
  rmSync(summaryFile, { force: true });
  const integration = spawnSync(process.execPath, [join(root, 'scripts/run-integration.mjs')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  const summary = existsSync(summaryFile) ? JSON.parse(readFileSync(summaryFile, 'utf8')) : { passed: 0, failed: 1 };
  const { passed, failed } = summary;
  totals.passed += passed;
  totals.failed += failed + (integration.status !== 0 && failed === 0 ? 1 : 0);
  lines.push(`integration: ${passed} passed, ${failed} failed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

process.stdout.write(`\n=== summary\n${lines.join('\n')}\n\n`);
process.stdout.write(`${totals.passed} passed, ${totals.failed} failed\n`);
process.exit(totals.failed === 0 ? 0 : 1);
