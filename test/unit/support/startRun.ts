import { RunController } from '../../../src/core/session/runController';

/** Starts a run in a test, failing the test if the range was refused. */
export function startRun(...args: Parameters<typeof RunController.start>): RunController {
  const started = RunController.start(...args);
  if (!started.ok) throw new Error(`the run was refused: ${started.error}`);
  return started.value;
}
