/**
 * The id of one request: on every answer (`x-sluice-request-id`) and in the
 * gateway's log line, so a client's complaint can be found. Unique across
 * processes and restarts (a UUID v4 from Node's pooled random bytes).
 */
import { randomUUID } from 'node:crypto';

export function newRequestId(): string {
  return randomUUID();
}
