/**
 * The one classification of a failed attempt (issue 20): only a failure that
 * proves no connection was made lets a POST go out again without an
 * `Idempotency-Key`. The errors are shaped as the two transports throw them:
 * undici's `request` (the code on the error itself) and fetch (`TypeError:
 * fetch failed` with the socket error as its cause).
 */
import { describe, expect, it } from 'vitest';
import type { Call } from '../../src/runtime/exchange/call.js';
import { mayResend, provesNotSent } from '../../src/runtime/exchange/unsent.js';

const coded = (message: string, code: string) => Object.assign(new Error(message), { code });
const viaFetch = (cause: Error) => new TypeError('fetch failed', { cause });

describe('which failures prove a request was not sent', () => {
  it('a connection never made: refused, no such host, no route, connect timeout — as either transport throws it', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']) {
      expect(provesNotSent(coded(`connect ${code}`, code))).toBe(true);
      expect(provesNotSent(viaFetch(coded(`connect ${code}`, code)))).toBe(true);
    }
    expect(provesNotSent(viaFetch(coded('Connect Timeout Error', 'UND_ERR_CONNECT_TIMEOUT')))).toBe(true);
  });

  it('every address refused (happy eyeballs) proves it; one address reached does not', () => {
    const refused = coded('connect ECONNREFUSED', 'ECONNREFUSED');
    expect(provesNotSent(viaFetch(new AggregateError([refused, refused])))).toBe(true);
    const reset = coded('read ECONNRESET', 'ECONNRESET');
    expect(provesNotSent(viaFetch(new AggregateError([refused, reset])))).toBe(false);
  });

  it('a connection that was made may have carried the request: reset, closed, no headers in time', () => {
    expect(provesNotSent(coded('read ECONNRESET', 'ECONNRESET'))).toBe(false);
    expect(provesNotSent(viaFetch(coded('other side closed', 'UND_ERR_SOCKET')))).toBe(false);
    expect(provesNotSent(coded('Headers Timeout Error', 'UND_ERR_HEADERS_TIMEOUT'))).toBe(false);
    expect(provesNotSent(new Error('something else'))).toBe(false);
    expect(provesNotSent('not an error')).toBe(false);
  });
});

describe('which calls may be sent again after such a failure', () => {
  const post = { method: 'POST', idempotencyKey: undefined } as unknown as Call;
  const reset = viaFetch(coded('other side closed', 'UND_ERR_SOCKET'));

  it('a POST only with an Idempotency-Key or when nothing was sent; a GET always', () => {
    expect(mayResend(post, reset)).toBe(false);
    expect(mayResend({ ...post, idempotencyKey: 'step-3' }, reset)).toBe(true);
    expect(mayResend(post, viaFetch(coded('connect ECONNREFUSED', 'ECONNREFUSED')))).toBe(true);
    expect(mayResend({ ...post, method: 'GET' }, reset)).toBe(true);
  });
});
