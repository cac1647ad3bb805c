// The reference server's control endpoint, for the tests, the browser test,
// the demo and the benchmarks: one client, and an HTTP error is an error.

/**
 * fetch, tried once more when the connection failed before any answer: a
 * kept-alive connection the server closed as it was reused ("other side
 * closed") is a race, not an answer. Both calls here can be repeated.
 */
async function fetchRetryingOnce(url, init) {
  try {
    return await fetch(url, init);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return fetch(url, init);
  }
}

/** Sets the server's behaviour for the next responses (timing, faults, output shape, steering, dropped connections). */
export async function control(controlUrl, body) {
  const res = await fetchRetryingOnce(controlUrl, { method: 'POST', body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`reference server control: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

/** The server's counters (connections, responses, activeGenerations, steersAccepted, …). */
export async function serverStats(controlUrl) {
  const res = await fetchRetryingOnce(controlUrl.replace(/\/__spark\/control$/, '/__spark/stats'));
  if (!res.ok) throw new Error(`reference server stats: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}
