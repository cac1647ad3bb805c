import type { WebSocket } from 'ws';
import { decodeClientFrame, describeDecodeError } from '../core/protocol/codec';
import { inputTexts, type ResponseCreate, type ResponseSteer } from '../core/protocol/clientEvents';
import { messageBytes } from '../core/transport/wsTransport';
import { errorCodeFor, errorFrame, newId, paramOf, steerFailedFrame } from './eventWriter';
import { understandPrompt } from './request';
import { Responder, type ServerContext } from './responder';
import { noteArrival } from './stats';

/**
 * One WebSocket client connection. Requests with the same `stream_id` (or
 * none) run in order on their lane; lanes run side by side. With store:false
 * only the latest response can be continued. `response.steer` ends the
 * active response at a token boundary as `incomplete` (`steered`) and starts
 * its successor with the queued input. Closing the socket aborts everything.
 */
export class ClientConnection {
  private readonly lanes = new Map<string, { queue: ResponseCreate[]; running: boolean }>();
  private readonly abort = new AbortController();
  private readonly responder: Responder;
  private readonly label: string;
  private static counter = 0;

  constructor(
    private readonly socket: WebSocket,
    private readonly ctx: ServerContext,
  ) {
    this.label = `#${++ClientConnection.counter}`;
    this.responder = new Responder(ctx, {
      send: (frame) => this.send(frame),
      signal: this.abort.signal,
      drop: () => socket.terminate(),
      refuseForLimit: () => {
        this.send(errorFrame(429, 'invalid_request_error', 'websocket_connection_limit_reached', 'This connection reached its limit; open a new one.'));
        socket.close(1008, 'connection limit reached');
      },
      keepsLatest: true,
    }, this.label);
    ctx.stats.connections++;
    ctx.stats.connectionsOpened++;
    socket.on('message', (data, isBinary) => {
      const bytes = messageBytes(data);
      this.onMessage(isBinary ? bytes : bytes.toString('utf8'));
    });
    socket.on('close', () => {
      ctx.stats.connections--;
      this.abort.abort();
      this.lanes.clear();
      ctx.log(`${this.label} closed`);
    });
    socket.on('error', (error) => ctx.log(`${this.label} socket error: ${error.message}`));
    ctx.log(`${this.label} connected`);
  }

  private send(frame: string): void {
    if (!this.abort.signal.aborted) this.socket.send(frame);
  }

  private onMessage(data: string | Buffer): void {
    const decoded = decodeClientFrame(typeof data === 'string' ? data : new Uint8Array(data), this.ctx.options.maxPayloadBytes);
    if (!decoded.ok) {
      const e = decoded.error;
      if (e.kind === 'schema' && e.eventType === 'response.steer') {
        this.send(steerFailedFrame('invalid_input', describeDecodeError(e), { previous_response_id: '', input: '' }, 0));
        return;
      }
      this.send(errorFrame(400, 'invalid_request_error', errorCodeFor(e), describeDecodeError(e), paramOf(e)));
      this.ctx.log(`${this.label} rejected a request: ${describeDecodeError(e)}`);
      return;
    }
    const message = decoded.value;
    if (message.type === 'response.steer') {
      this.steer(message);
      return;
    }
    const key = message.stream_id ?? '';
    const lane = this.lanes.get(key) ?? { queue: [], running: false };
    this.lanes.set(key, lane);
    lane.queue.push(message);
    void this.drain(lane);
  }

  private steer(message: ResponseSteer): void {
    const target = this.responder.active.get(message.previous_response_id);
    const fail = (code: 'steering_not_supported' | 'response_already_completed' | 'response_not_found', text: string): void => {
      this.send(steerFailedFrame(code, text, { previous_response_id: message.previous_response_id, input: inputTexts(message.input).map((m) => m.text).join('\n') }, 0));
      this.ctx.log(`${this.label} refused a steer: ${code}`);
    };
    if (!target) {
      if (this.responder.hasEnded(message.previous_response_id)) fail('response_already_completed', `Response '${message.previous_response_id}' has already completed.`);
      else fail('response_not_found', `Response '${message.previous_response_id}' is not active on this connection.`);
      return;
    }
    if (!this.ctx.steering()) {
      fail('steering_not_supported', 'This server does not accept steering input.');
      return;
    }
    const steerId = newId('steer');
    target.steers.push({ id: steerId, input: message.input });
    this.ctx.stats.steersAccepted++;
    noteArrival(this.ctx.stats, { at: Date.now(), kind: 'steer', instruction: understandPrompt(inputTexts(message.input).map((m) => m.text).join('\n')).instruction });
    target.writer.steerAccepted(steerId);
    this.ctx.log(`${this.label} ${target.writer.responseId}: steer accepted`);
    target.wake();
  }

  private async drain(lane: { queue: ResponseCreate[]; running: boolean }): Promise<void> {
    if (lane.running) return;
    lane.running = true;
    try {
      for (let request = lane.queue.shift(); request && !this.abort.signal.aborted; request = lane.queue.shift()) {
        await this.responder.respond(request).catch((error: unknown) => this.ctx.log(`${this.label} response crashed: ${String(error)}`));
      }
    } finally {
      lane.running = false;
    }
  }
}
