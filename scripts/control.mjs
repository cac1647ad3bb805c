// The reference server's control endpoint, for the tests, the browser test,
// the demo and the benchmarks: one client, and an HTTP error is an error.

/** Sets the server's behaviour for the next responses (timing, faults, output shape, steering, dropped connections). */
export async function control(controlUrl, body) {
  const res = await fetch(controlUrl, { method: 'POST', body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`reference server control: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

/** The server's counters (connections, responses, activeGenerations, steersAccepted, …). */
export async function serverStats(controlUrl) {
  const res = await fetch(controlUrl.replace(/\/__spark\/control$/, '/__spark/stats'));
  if (!res.ok) throw new Error(`reference server stats: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}
