/**
 * Signatures of alert webhooks: HMAC-SHA256 with the webhook's secret over
 * `<unix seconds>.<body>`, sent as `x-sluice-signature: t=<seconds>,v1=<hex>`.
 * The time is inside what is signed, so a receiver that rejects old
 * timestamps (say, more than 5 minutes) also rejects replays.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-sluice-signature';

export function signature(secret: string, body: string, atSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${atSeconds}.${body}`).digest('hex');
  return `t=${atSeconds},v1=${mac}`;
}

/** Whether `header` signs `body` with `secret` (what a receiver checks; the tests use it). */
export function verifySignature(secret: string, body: string, header: string | null | undefined): boolean {
  const parts = new Map((header ?? '').split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1');
  if (!Number.isInteger(t) || !v1) return false;
  const expected = Buffer.from(signature(secret, body, t).split('v1=')[1] as string, 'hex');
  const given = Buffer.from(v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
