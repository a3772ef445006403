/**
 * The admin key that opens the dashboard's data (`admin.key` or
 * `admin.key_sha256` in the config). Only its SHA-256 is kept; a presented
 * key is hashed and the two digests compared with `timingSafeEqual`, so the
 * comparison takes the same time whatever the guess, and a heap dump holds
 * nothing usable. A tenant key is never an admin key (the schema refuses a
 * config that reuses one).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface AdminKeyConfig {
  readonly key?: string | undefined;
  readonly key_sha256?: string | undefined;
}

export class AdminKey {
  private constructor(private readonly digest: Buffer) {}

  /** Undefined when the config sets no admin key (the admin API is then off). */
  static from(config: AdminKeyConfig | undefined): AdminKey | undefined {
    if (config?.key !== undefined) return new AdminKey(sha256(config.key));
    if (config?.key_sha256 !== undefined) return new AdminKey(Buffer.from(config.key_sha256, 'hex'));
    return undefined;
  }

  /** Whether `other` opens with the same key (a reload that kept the key keeps pages connected). */
  sameAs(other: AdminKey | undefined): boolean {
    return other !== undefined && timingSafeEqual(this.digest, other.digest);
  }

  matches(presented: string | undefined): boolean {
    // Hash even a missing key: the answer should not come faster for it.
    const digest = sha256(presented ?? '');
    return timingSafeEqual(digest, this.digest) && presented !== undefined;
  }
}

/**
 * The key a request carries: `Authorization: Bearer …` or
 * `x-sluice-admin-key` (never a query parameter: URLs end up in logs and
 * browser history).
 */
export function presentedAdminKey(headers: IncomingHttpHeaders): string | undefined {
  const header = headers['x-sluice-admin-key'];
  if (typeof header === 'string' && header.length > 0) return header;
  return bearerToken(headers);
}

/** The token of `Authorization: Bearer <token>` (also what Prometheus sends for a metrics token). */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (auth !== undefined && auth.length > 7 && /^bearer /i.test(auth.slice(0, 7))) {
    const key = auth.slice(7).trim();
    return key.length > 0 ? key : undefined;
  }
  return undefined;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
