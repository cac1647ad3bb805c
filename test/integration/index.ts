import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostConfig, onTimeoutDescribe, runAll } from './harness';
import { api, resetState, setSetting } from './helpers';
import './suites/editing';
import './suites/faults';
import './suites/connection';
import './suites/robustness';
import './suites/protocol';
import './suites/editorEvents';
import './suites/keys';
import './suites/hunks';
import './suites/live';
import './suites/decisions';
import './suites/trust';
import './suites/dayOfUse';
import './suites/patch';
import './suites/context';
import './suites/iteration';
// Last: it deactivates the extension.
import './suites/lifecycle';

/** Entry point the VS Code test host calls: `run()` settles when the suite is done. */
export async function run(): Promise<void> {
  const config = hostConfig();
  await setSetting('endpoint', config.serverUrl);
  onTimeoutDescribe(async () => {
    const a = await api();
    const folder = a.logFolder().fsPath;
    const log = readdirSync(folder).map((f) => readFileSync(join(folder, f), 'utf8')).join('\n');
    const tail = log.trimEnd().split('\n').slice(-25);
    return ['state at the timeout:', ...a.describeState(), 'the extension log, last lines:', ...tail].map((l) => `      | ${l}`).join('\n');
  });
  const { failed } = await runAll(config, resetState);
  if (failed > 0) throw new Error(`${failed} integration test(s) failed`);
}
