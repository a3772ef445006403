/**
 * A client's connection to a face, with the last HTTP answer it received
 * kept: the headers (`retry-after`, `x-sluice-refusal`) a test reads beside
 * what the SDK made of them.
 */
import type { Connection } from './clients/index.js';
import type { Rig } from './rig.js';

export interface Watched extends Connection {
  /** The last answer's headers; undefined before any. */
  last(): Headers | undefined;
}

export function watched(rig: Rig): Watched {
  let headers: Headers | undefined;
  const inner = rig.fetch;
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const response = await inner(input, init);
    headers = response.headers;
    return response;
  };
  return { baseUrl: rig.baseUrl, apiKey: rig.apiKey, fetch, last: () => headers };
}
