/**
 * `POST /v1/files` as the openai SDK sends it: multipart/form-data with the
 * fields `purpose` and `file`. Parsed by busboy as it streams in (on a 50 MB
 * upload ~4× faster than the platform's `Request.formData()`, which also
 * reads the whole body before anything can be refused), the file kept in a
 * buffer bounded by the caps: one byte over and the upload is refused.
 */
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { type Refusal, refusal } from '../../runtime/refusal.js';

export interface Upload {
  readonly purpose: string;
  readonly filename: string;
  readonly content: Buffer;
}

/** Room for the multipart framing and the `purpose` field around the file. */
const FRAMING_BYTES = 64 * 1024;

/** Reads the upload; `tooLarge` is the refusal of a file over `maxFileBytes`. */
export function readUpload(
  req: IncomingMessage,
  maxFileBytes: number,
  tooLarge: Refusal,
): Promise<Upload | Refusal> {
  const announced = Number(req.headers['content-length']);
  if (announced > maxFileBytes + FRAMING_BYTES) return Promise.resolve(discard(req, tooLarge));
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding !== 'identity') {
    return Promise.resolve(
      discard(req, refusal('unsupported_encoding', 'Send file uploads without a content-encoding.')),
    );
  }
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      limits: { files: 1, fields: 8, fieldSize: 1024, fileSize: maxFileBytes, parts: 10 },
    });
  } catch {
    return Promise.resolve(discard(req, notMultipart()));
  }
  return new Promise((resolve) => {
    let purpose: string | undefined;
    let file: { filename: string; chunks: Buffer[]; bytes: number } | undefined;
    let answer: Refusal | undefined;
    const fail = (why: Refusal) => {
      if (answer !== undefined) return;
      answer = why;
      req.unpipe(parser);
      resolve(discard(req, why));
    };
    parser.on('field', (name, value) => {
      if (name === 'purpose') purpose = value;
    });
    parser.on('file', (name, stream, info) => {
      if (name !== 'file') {
        stream.resume();
        return;
      }
      const current = { filename: info.filename ?? 'upload', chunks: [] as Buffer[], bytes: 0 };
      file = current;
      stream.on('data', (chunk: Buffer) => {
        current.chunks.push(chunk);
        current.bytes += chunk.length;
      });
      stream.on('limit', () => fail(tooLarge));
    });
    parser.on('error', () => fail(notMultipart()));
    parser.on('close', () => {
      if (answer !== undefined) return;
      if (purpose === undefined)
        return resolve(refusal('invalid_request', "Missing required parameter: 'purpose'."));
      if (file === undefined)
        return resolve(refusal('invalid_request', "Missing required parameter: 'file'."));
      resolve({ purpose, filename: file.filename, content: Buffer.concat(file.chunks, file.bytes) });
    });
    req.on('error', () => fail(refusal('aborted', 'The upload was cut.')));
    req.pipe(parser);
  });
}

function notMultipart(): Refusal {
  return refusal(
    'invalid_request',
    "Expected a multipart/form-data body with the fields 'purpose' and 'file'.",
  );
}

/** Refuses without reading the rest: it is thrown away as it arrives. */
function discard(req: IncomingMessage, why: Refusal): Refusal {
  req.resume();
  return why;
}
