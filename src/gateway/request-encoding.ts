/**
 * Compressed request bodies (`content-encoding: gzip | deflate | br`) are
 * decoded before admission reads them, bounded by the same size limit as a
 * plain body so a small compressed body cannot expand without bound. The
 * decoded bytes are what goes upstream (without the encoding header).
 */
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';

export type DecodedBody =
  | { readonly ok: true; readonly body: Buffer }
  | {
      readonly ok: false;
      readonly code: 'unsupported_encoding' | 'invalid_encoding' | 'body_too_large';
      readonly message: string;
    };

// A Map, not an object: a client-chosen name must not reach `Object.prototype` (`constructor`, `toString`).
const DECODERS: ReadonlyMap<string, (raw: Buffer, options: { maxOutputLength: number }) => Buffer> = new Map([
  ['gzip', gunzipSync],
  ['x-gzip', gunzipSync],
  ['deflate', inflateSync],
  ['br', brotliDecompressSync],
]);

/** Decodes `raw` per its `content-encoding` header (undefined or `identity`: as is). */
export function decodeRequestBody(raw: Buffer, encoding: string | undefined, maxBytes: number): DecodedBody {
  const name = encoding?.trim().toLowerCase();
  if (name === undefined || name === '' || name === 'identity') return { ok: true, body: raw };
  const decode = DECODERS.get(name);
  if (!decode) {
    return {
      ok: false,
      code: 'unsupported_encoding',
      message: `Unsupported content-encoding \`${name}\`: send the body uncompressed, or as gzip, deflate or br.`,
    };
  }
  try {
    return { ok: true, body: decode(raw, { maxOutputLength: maxBytes }) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      return {
        ok: false,
        code: 'body_too_large',
        message: `Request body too large once decoded: the gateway accepts at most ${maxBytes} bytes.`,
      };
    }
    return { ok: false, code: 'invalid_encoding', message: `The request body is not valid ${name} data.` };
  }
}
