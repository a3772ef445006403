/**
 * OpenAI's Files API as far as batches need it: upload (multipart, purpose
 * `batch`, `.jsonl`), retrieve, download content, delete. Output and error
 * files of finished batches live in the same store (purpose `batch_output`).
 */
import type { Reply } from '../flavour.js';
import { jsonReply } from '../flavour.js';
import { openaiError } from '../flavours/openai/openai-wire.js';

export interface StoredFile {
  readonly id: string;
  readonly key: string;
  readonly filename: string;
  readonly purpose: string;
  readonly createdAt: number;
  readonly content: Buffer;
}

const PURPOSES = new Set([
  'batch',
  'batch_output',
  'fine-tune',
  'assistants',
  'vision',
  'user_data',
  'evals',
]);

export class OpenAIFiles {
  private readonly files = new Map<string, StoredFile>();
  private ordinal = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string, id: string): StoredFile | undefined {
    const file = this.files.get(id);
    return file && file.key === key ? file : undefined;
  }

  add(key: string, init: { filename: string; purpose: string; content: Buffer; now: number }): StoredFile {
    const id = `file-${(++this.ordinal).toString(36).padStart(22, '0')}`;
    const file = {
      id,
      key,
      filename: init.filename,
      purpose: init.purpose,
      createdAt: init.now,
      content: init.content,
    };
    this.files.set(id, file);
    return file;
  }

  reset(): void {
    this.files.clear();
    this.ordinal = 0;
  }

  /** `POST /v1/files`: the multipart body already read whole. */
  async upload(key: string, contentType: string, body: Buffer, now: number): Promise<Reply> {
    if (body.length > this.maxBytes) {
      return openaiError(
        413,
        {
          message: `File is too large. Maximum size for purpose 'batch' is ${this.maxBytes} bytes.`,
          type: 'invalid_request_error',
          param: 'file',
          code: 'file_too_large',
        },
        {},
      );
    }
    let form: FormData;
    try {
      // The platform's own multipart parser (undici), not a hand-written one.
      form = await new Request('http://simulator/', {
        method: 'POST',
        headers: { 'content-type': contentType },
        body,
      }).formData();
    } catch {
      return invalid("Expected a multipart/form-data body with 'file' and 'purpose'.", null);
    }
    const purpose = form.get('purpose');
    const file = form.get('file');
    if (typeof purpose !== 'string') return invalid("Missing required parameter: 'purpose'.", 'purpose');
    if (!PURPOSES.has(purpose) || purpose === 'batch_output') {
      return invalid(`Invalid value for 'purpose': '${purpose}'.`, 'purpose');
    }
    if (file === null || typeof file === 'string')
      return invalid("Missing required parameter: 'file'.", 'file');
    if (purpose === 'batch' && !file.name.endsWith('.jsonl')) {
      return invalid('Invalid file format for Batch API. Must be .jsonl', 'file');
    }
    const stored = this.add(key, {
      filename: file.name,
      purpose,
      content: Buffer.from(await file.arrayBuffer()),
      now,
    });
    return jsonReply(200, fileObject(stored));
  }

  retrieve(key: string, id: string): Reply {
    const file = this.get(key, id);
    return file ? jsonReply(200, fileObject(file)) : noSuchFile(id);
  }

  content(key: string, id: string): Reply {
    const file = this.get(key, id);
    if (!file) return noSuchFile(id);
    // Replies are strings; JSONL is UTF-8 text, so the round trip is lossless.
    return {
      status: 200,
      headers: { 'content-type': 'application/octet-stream' },
      body: file.content.toString('utf8'),
    };
  }

  delete(key: string, id: string): Reply {
    if (!this.get(key, id)) return noSuchFile(id);
    this.files.delete(id);
    return jsonReply(200, { id, object: 'file', deleted: true });
  }
}

export function fileObject(file: StoredFile) {
  return {
    id: file.id,
    object: 'file',
    bytes: file.content.length,
    created_at: Math.floor(file.createdAt / 1000),
    filename: file.filename,
    purpose: file.purpose,
    status: 'processed',
    status_details: null,
    expires_at: null,
  };
}

export function noSuchFile(id: string): Reply {
  return openaiError(
    404,
    { message: `No such File object: ${id}`, type: 'invalid_request_error', param: 'id' },
    {},
  );
}

function invalid(message: string, param: string | null): Reply {
  return openaiError(400, { message, type: 'invalid_request_error', param }, {});
}
