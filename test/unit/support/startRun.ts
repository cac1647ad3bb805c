import { ok } from '../../../src/core/result';
import { RunController, type Connector, type RequestSender, type RunDocument, type RunOptions, type RunView } from '../../../src/core/session/runController';
import type { DocumentSync } from '../../../src/core/edit/documentSync';
import type { Clock } from '../../../src/core/clock';

/** A connector that is always connected to `sender`. */
export const connectTo = (sender: RequestSender): Connector => ({ connect: () => Promise.resolve(ok(sender)) });

/** A view that listens to nothing. */
export const quietView: RunView = { update: () => undefined, report: () => undefined, ended: () => undefined };

/** Starts a run in a test on `sender`, failing the test if the range was refused. */
export function startRun(options: RunOptions, document: RunDocument, sync: DocumentSync, sender: RequestSender, view: RunView, clock: Clock): RunController {
  const started = RunController.start(options, document, sync, connectTo(sender), view, clock);
  if (!started.ok) throw new Error(`the run was refused: ${started.error}`);
  return started.value;
}
