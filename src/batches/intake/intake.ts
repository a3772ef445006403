/**
 * What reading a batch's input gives, whatever the API it came by: the
 * lines to run, and the results already known for lines that cannot run
 * (each an `errored` result with status 400 and a reason: one bad line never
 * fails a whole batch), with the input tokens the runnable lines are
 * estimated at. Both readers (`openai-input.ts`, `anthropic-requests.ts`)
 * build it with `IntakeBuilder`.
 */
import type { BatchLine, LineResult } from '../batch.js';

export interface Intake {
  readonly lines: readonly BatchLine[];
  readonly known: readonly LineResult[];
  /** Lines in the batch: runnable and known (results are written for every one). */
  readonly total: number;
  /** Estimated input tokens of the runnable lines. */
  readonly inputTokens: number;
  /** The model the first runnable line names ('' when none does). */
  readonly model: string;
}

/** Input tokens of one line, as the line's provider family would count them. */
export type LineTokens = (line: BatchLine) => number;

/** Why a line cannot run. */
export interface LineProblem {
  readonly code: string;
  readonly message: string;
}

/** Collects lines and problems in input order; each gets the next index. */
export class IntakeBuilder {
  private readonly lines: BatchLine[] = [];
  /** Problems wait for their custom_id until every readable id is known (`finish`). */
  private readonly problems: {
    index: number;
    customId: string | undefined;
    n: number;
    problem: LineProblem;
  }[] = [];
  private readonly taken = new Set<string>();
  private index = 0;
  private tokens = 0;
  private model = '';

  constructor(private readonly tokensOf: LineTokens) {}

  /** Whether a runnable line already has this custom_id (a second one is a problem). */
  has(customId: string): boolean {
    return this.taken.has(customId);
  }

  /** A runnable line. */
  line(customId: string, url: string, body: Record<string, unknown>): void {
    const line: BatchLine = { index: this.index++, customId, url, body };
    this.taken.add(customId);
    this.lines.push(line);
    this.tokens += this.tokensOf(line);
    if (this.model === '' && typeof body.model === 'string') this.model = body.model;
  }

  /**
   * A line that cannot run. `customId` when the line gave a usable one; else
   * (and for a duplicate) the result is named `line-<n>`, `n` its 1-based
   * place in the input, so every result keeps a custom_id of its own.
   */
  problem(n: number, customId: string | undefined, problem: LineProblem): void {
    if (customId !== undefined) this.taken.add(customId);
    this.problems.push({ index: this.index++, customId, n, problem });
  }

  finish(): Intake {
    const known: LineResult[] = this.problems.map(({ index, customId, n, problem }) => ({
      index,
      customId: customId ?? this.fallbackId(n),
      outcome: 'errored',
      status: 400,
      requestId: '',
      error: { code: problem.code, message: problem.message },
    }));
    return {
      lines: this.lines,
      known,
      total: this.index,
      inputTokens: this.tokens,
      model: this.model,
    };
  }

  private fallbackId(n: number): string {
    let id = `line-${n}`;
    // A caller may have named a line `line-7` itself: its result keeps that name.
    for (let k = 2; this.taken.has(id); k++) id = `line-${n}-${k}`;
    this.taken.add(id);
    return id;
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** What every line's request body needs, whichever API: an object naming its model, not streamed. */
export function bodyProblem(body: unknown, field: string): LineProblem | undefined {
  if (!isObject(body)) return { code: 'invalid_request', message: `\`${field}\` must be a JSON object.` };
  if (typeof body.model !== 'string' || body.model === '')
    return { code: 'missing_required_parameter', message: `Missing required parameter: '${field}.model'.` };
  if (body.stream === true)
    return { code: 'invalid_request', message: 'Streaming is not supported in batch requests.' };
  return undefined;
}
