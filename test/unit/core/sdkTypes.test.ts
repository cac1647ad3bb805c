import type { ResponsesClientEvent, ResponsesServerEvent, ResponseSteerEvent } from 'openai/resources/responses/responses';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { OutgoingResponseCreate, OutgoingResponseSteer } from '../../../src/core/protocol/clientEvents';
import { KNOWN_SERVER_EVENT_TYPES, type KnownServerEventSchema } from '../../../src/core/protocol/serverEvents';

/*
 * Type-level checks against the official SDK (`openai`, pinned): `npm run
 * typecheck` fails when they break, and the runtime assertions below keep
 * vitest honest about the same facts.
 */

type Assert<T extends true> = T;
type Extends<A, B> = [A] extends [B] ? true : false;

// 1. What we send is what the SDK's client sends.
export type RequestIsSdkCreate = Assert<Extends<OutgoingResponseCreate, ResponsesClientEvent.ResponseCreate>>;
export type SteerIsSdkSteer = Assert<Extends<OutgoingResponseSteer, ResponseSteerEvent>>;

// 2. Every event type we model is one the SDK defines…
type Modeled = z.input<typeof KnownServerEventSchema>;
export type ModeledTypesExist = Assert<Extends<Modeled['type'], ResponsesServerEvent['type']>>;

// 3. …and every SDK event of such a type parses with our schema: we are never stricter than the SDK.
type SdkEventParses<T extends Modeled['type']> = Extends<Extract<ResponsesServerEvent, { type: T }>, Extract<Modeled, { type: T }>>;
type AllParse = { [T in Modeled['type']]: SdkEventParses<T> };
export type EveryModeledSdkEventParses = Assert<Extends<AllParse[keyof AllParse], true>>;

// 4. Both error shapes in particular (nested ResponseWsError and flat ResponseWsStreamingError).
export type NestedErrorParses = Assert<Extends<ResponsesServerEvent.ResponseWsError, Extract<Modeled, { type: 'error' }>>>;
export type FlatErrorParses = Assert<Extends<ResponsesServerEvent.ResponseWsStreamingError, Extract<Modeled, { type: 'error' }>>>;

describe('the protocol types agree with the official SDK', () => {
  it('models only event types the SDK defines', () => {
    // Mirrors ModeledTypesExist at run time, for the types vitest can see.
    const sdkTypes: ResponsesServerEvent['type'][] = [
      'response.created',
      'response.in_progress',
      'response.completed',
      'response.failed',
      'response.incomplete',
      'response.output_item.added',
      'response.output_item.done',
      'response.output_text.delta',
      'response.output_text.done',
      'response.refusal.delta',
      'response.refusal.done',
      'response.reasoning_summary_text.delta',
      'error',
      'response.steer.accepted',
      'response.steer.failed',
    ];
    expect([...KNOWN_SERVER_EVENT_TYPES].sort()).toEqual([...sdkTypes].sort());
  });
});
