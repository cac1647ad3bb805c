import { describe, expect, it } from 'vitest';
import { RoundTrips } from '../../../src/core/edit/roundTrips';

describe('RoundTrips', () => {
  it('is the median of the recent round trips, so one slow edit does not move it', () => {
    const trips = new RoundTrips(5);
    expect(trips.typicalMs).toBeUndefined();
    trips.record(100);
    expect(trips.typicalMs).toBe(100);
    for (const ms of [90, 110, 2_000, 105]) trips.record(ms);
    expect(trips.typicalMs).toBe(105);
    // Only the last five count: the editor got faster.
    for (const ms of [20, 25, 30]) trips.record(ms);
    expect(trips.typicalMs).toBe(30);
  });
});
