import type { OutgoingResponseCreate, OutgoingResponseSteer } from '../../../src/core/protocol/clientEvents';
import type { KnownServerEvent } from '../../../src/core/protocol/serverEvents';
import type { ResponseHandle, ResponseListener, TransportFailure } from '../../../src/core/transport/responseChannel';
import type { RequestSender } from '../../../src/core/session/runController';

/**
 * A scripted stand-in for the channel, for pure-core tests of the run
 * controller (the real channel is tested against real sockets elsewhere).
 */
export class ScriptedSender implements RequestSender {
  readonly requests: OutgoingResponseCreate[] = [];
  readonly steers: OutgoingResponseSteer[] = [];
  readonly cancelled: number[] = [];
  canSteer = false;
  /** Whether the response on the wire accepts a steer (false: `steer` reports it gone). */
  steerable = true;
  private listener: ResponseListener | undefined;
  private seq = 0;

  request(body: OutgoingResponseCreate, listener: ResponseListener): ResponseHandle {
    const index = this.requests.push(body) - 1;
    this.listener = listener;
    listener.onSent(0);
    this.responseId = `resp_${index}`;
    this.emit({ type: 'response.created', sequence_number: this.seq++, response: { id: this.responseId, status: 'in_progress' } });
    return {
      cancel: () => this.cancelled.push(index),
      steer: (steer) => {
        if (!this.steerable) return false;
        this.steers.push(steer);
        return true;
      },
    };
  }

  /** The id of the response streaming now. */
  responseId = '';

  /** The server's side of an accepted steer: acknowledge, end the old response steered, start the successor. */
  steered(successorId: string): void {
    this.emit({ type: 'response.steer.accepted', sequence_number: this.seq++, steer: { id: 'steer_1', previous_response_id: this.responseId } });
    this.emit({ type: 'response.incomplete', sequence_number: this.seq++, response: { id: this.responseId, status: 'incomplete', incomplete_details: { reason: 'steered' } } });
    this.responseId = successorId;
    this.emit({ type: 'response.created', sequence_number: this.seq++, response: { id: successorId, status: 'in_progress' } });
  }

  emit(event: KnownServerEvent): void {
    this.listener?.onEvent(event);
  }

  delta(text: string): void {
    this.emit({ type: 'response.output_text.delta', item_id: 'msg', output_index: 0, content_index: 0, delta: text, sequence_number: this.seq++ });
  }

  complete(): void {
    this.emit({ type: 'response.completed', sequence_number: this.seq++, response: { id: this.responseId, status: 'completed' } });
  }

  fail(failure: TransportFailure): void {
    this.listener?.onFailure(failure);
  }
}
