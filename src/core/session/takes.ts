import type { OutgoingResponseCreate } from '../protocol/clientEvents';
import { isAmong, isCodeItem, itemKeys } from '../protocol/serverEvents';
import type { ResponseHandle, ResponseListener } from '../transport/responseChannel';
import { applyEdits } from '../edit/textEdit';
import { TAKE_LABEL } from '../prompt/buildRequest';
import type { Connector } from './runController';
import { StreamApplier, type AnswerFormat } from './streamApplier';

/** One of a run's other takes: streaming, done with its text, or failed with why. */
export type TakeStatus = { readonly state: 'streaming' } | { readonly state: 'done'; readonly text: string } | { readonly state: 'failed'; readonly message: string };

/** A request's body for take `index` of `count`: the same prompt (its last message's text last), asked for a different version. */
export function takeRequest(body: OutgoingResponseCreate, index: number, count: number): OutgoingResponseCreate {
  const line = `\n${TAKE_LABEL} ${index} of ${count}: write a different version from the other takes, as good as the first.`;
  const input = body.input.map((message, m) =>
    m < body.input.length - 1 ? message : { ...message, content: message.content.map((c, i) => (i < message.content.length - 1 ? c : { ...c, text: c.text + line })) },
  );
  return { ...body, input };
}

/**
 * A run's other takes (alternatives): the run's first request again, asked
 * for a different version, streaming in parallel on the pool while the run
 * itself streams into the buffer. Nothing of them touches the document: each
 * is applied to the region's original text in memory, as the run's own
 * answer would be, so showing one later is a single replacement.
 */
export class Takes {
  /** Take 2 is at index 0: take 1 is the run's own answer. */
  private readonly statuses: TakeStatus[] = [];
  private readonly handles: ResponseHandle[] = [];
  private disposed = false;

  constructor(
    private readonly connector: Connector,
    private readonly original: string,
    private readonly eol: '\n' | '\r\n',
    private readonly format: AnswerFormat,
    /** Called whenever a take finishes or fails (the views show how many are ready). */
    private readonly changed: () => void,
  ) {}

  /** Sends takes 2…count of `body` (the run's own request is take 1). */
  start(body: OutgoingResponseCreate, count: number): void {
    for (let index = 2; index <= count; index++) {
      const slot = this.statuses.push({ state: 'streaming' }) - 1;
      const settle = (status: TakeStatus): void => {
        if (this.disposed || this.statuses[slot]?.state !== 'streaming') return;
        this.statuses[slot] = status;
        this.changed();
      };
      this.connector.connect().then(
        (connected) => {
          if (this.disposed) return;
          if (!connected.ok) return settle({ state: 'failed', message: connected.error.message });
          this.handles.push(connected.value.request(takeRequest(body, index, count), this.listener(settle)));
        },
        (error: unknown) => settle({ state: 'failed', message: String(error) }),
      );
    }
  }

  private listener(settle: (status: TakeStatus) => void): ResponseListener {
    const applier = new StreamApplier(this.eol, 'preview', this.format);
    applier.begin(this.original);
    /** Reasoning and commentary items are not code, as for the run's own answer. */
    const nonCode: string[] = [];
    return {
      onSent: () => undefined,
      onFailure: (failure) => settle({ state: 'failed', message: failure.message }),
      onEvent: (event) => {
        switch (event.type) {
          case 'response.output_item.added':
            if (!isCodeItem(event.item)) nonCode.push(...itemKeys(event.item.id, event.output_index));
            return;
          case 'response.output_text.delta':
            if (!isAmong(nonCode, event.item_id, event.output_index)) applier.append(event.delta);
            return;
          case 'response.completed': {
            const { edits } = applier.finish();
            const failure = applier.failure;
            settle(failure !== undefined ? { state: 'failed', message: failure } : { state: 'done', text: applyEdits(this.original, edits) });
            return;
          }
          case 'response.incomplete':
          case 'response.failed':
          case 'error':
            settle({ state: 'failed', message: `${event.type}` });
            return;
          default:
            return;
        }
      },
    };
  }

  /** How many takes there are besides the run's own. */
  get others(): number {
    return this.statuses.length;
  }

  /** Take `index` (2 and up), as it stands. */
  status(index: number): TakeStatus | undefined {
    return this.statuses[index - 2];
  }

  /** Stops every take still streaming; nothing of them is reported any more. */
  dispose(): void {
    this.disposed = true;
    for (const h of this.handles.splice(0)) h.cancel();
  }
}
