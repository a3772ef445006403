/**
 * Reads an OpenAI batch input file (platform.openai.com/docs/guides/batch):
 * JSONL, each line `{custom_id, method: "POST", url, body}` with `url` the
 * batch's endpoint. Unlike OpenAI, which fails the whole batch for one
 * malformed line, a bad line here becomes an errored result in the error
 * file and the rest run. Blank lines are skipped.
 */
import {
  bodyProblem,
  type Intake,
  IntakeBuilder,
  isObject,
  type LineProblem,
  type LineTokens,
} from './intake.js';

export interface OpenAIInputOptions {
  /** The batch's `endpoint`: every line's `url` must be it. */
  readonly endpoint: string;
  readonly tokensOf: LineTokens;
}

export function readOpenAIInput(text: string, options: OpenAIInputOptions): Intake {
  const intake = new IntakeBuilder(options.tokensOf);
  let start = 0;
  for (let n = 1; start <= text.length; n++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const row = text.slice(start, end);
    start = end + 1;
    if (row.trim() !== '') readLine(row, n, options.endpoint, intake);
  }
  return intake.finish();
}

function readLine(row: string, n: number, endpoint: string, intake: IntakeBuilder): void {
  let value: unknown;
  try {
    value = JSON.parse(row);
  } catch {
    intake.problem(n, undefined, { code: 'invalid_json_line', message: `Line ${n} is not valid JSON.` });
    return;
  }
  if (!isObject(value)) {
    intake.problem(n, undefined, { code: 'invalid_json_line', message: `Line ${n} is not a JSON object.` });
    return;
  }
  const customId = value.custom_id;
  if (typeof customId !== 'string' || customId === '') {
    intake.problem(n, undefined, {
      code: 'missing_required_parameter',
      message: `Line ${n}: missing required parameter 'custom_id'.`,
    });
    return;
  }
  if (intake.has(customId)) {
    intake.problem(n, undefined, {
      code: 'duplicate_custom_id',
      message: `Line ${n}: custom_id '${customId}' is already used by an earlier line; each request needs its own.`,
    });
    return;
  }
  const problem = requestProblem(value, n, endpoint);
  if (problem) intake.problem(n, customId, problem);
  else intake.line(customId, endpoint, value.body as Record<string, unknown>);
}

function requestProblem(
  value: Record<string, unknown>,
  n: number,
  endpoint: string,
): LineProblem | undefined {
  if (value.method !== 'POST')
    return { code: 'invalid_method', message: `Line ${n}: the method of every request must be POST.` };
  if (value.url !== endpoint)
    return {
      code: 'mismatched_endpoint',
      message: `Line ${n}: url '${String(value.url)}' does not match the batch endpoint ${endpoint}.`,
    };
  return bodyProblem(value.body, 'body');
}
