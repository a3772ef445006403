/**
 * The error `code` a Responses stream carries (`ResponseError.code` in the
 * `openai` SDK) ⇄ the HTTP status a neutral `error` event carries. Codes
 * not listed read as 500; statuses not listed write as `server_error`.
 */

const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  rate_limit_exceeded: 429,
  invalid_prompt: 400,
  invalid_image: 400,
  invalid_image_format: 400,
  invalid_base64_image: 400,
  invalid_image_url: 400,
  image_too_large: 400,
  image_too_small: 400,
  unsupported_image_media_type: 400,
  server_error: 500,
};

export function statusOfResponsesCode(code: unknown): number {
  return (typeof code === 'string' ? STATUS_OF_CODE[code] : undefined) ?? 500;
}

export function responsesCodeOfStatus(status: number): string {
  if (status === 429) return 'rate_limit_exceeded';
  if (status === 400) return 'invalid_prompt';
  return 'server_error';
}
