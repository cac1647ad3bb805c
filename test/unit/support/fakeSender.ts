import type { ResponseCreate } from '../../../src/core/protocol/clientEvents';
import type { KnownServerEvent } from '../../../src/core/protocol/serverEvents';
import type { ResponseHandle, ResponseListener, TransportFailure } from '../../../src/core/transport/responseChannel';
import type { RequestSender } from '../../../src/core/session/runController';

/**
 * A scripted stand-in for the channel, for pure-core tests of the run
 * controller (the real channel is tested against real sockets elsewhere).
 */
export class ScriptedSender implements RequestSender {
  readonly requests: ResponseCreate[] = [];
  readonly cancelled: number[] = [];
  private listener: ResponseListener | undefined;
  private seq = 0;

  request(body: ResponseCreate, listener: ResponseListener): ResponseHandle {
    const index = this.requests.push(body) - 1;
    this.listener = listener;
    listener.onSent(0);
    this.emit({ type: 'response.created', sequence_number: this.seq++, response: { id: `resp_${index}`, status: 'in_progress' } });
    return { cancel: () => this.cancelled.push(index) };
  }

  emit(event: KnownServerEvent): void {
    this.listener?.onEvent(event);
  }

  delta(text: string): void {
    this.emit({ type: 'response.output_text.delta', item_id: 'msg', output_index: 0, content_index: 0, delta: text, sequence_number: this.seq++ });
  }

  complete(): void {
    this.emit({ type: 'response.completed', sequence_number: this.seq++, response: { id: `resp_${this.requests.length - 1}`, status: 'completed' } });
  }

  fail(failure: TransportFailure): void {
    this.listener?.onFailure(failure);
  }
}
