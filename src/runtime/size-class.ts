/**
 * Size classes (issue 14): a deployment may declare limits of its own for
 * long-context calls. Anthropic splits inputs ≤ 200 K and > 200 K tokens
 * into separate limits, and its long-context table lists only ITPM and
 * OTPM, so requests per minute stay shared; OpenAI documents a separate
 * long-context limit on long-context models (PROVIDERS.md §1.4 and "2026
 * changes": "Capacity is per model, tier, speed, context class").
 *
 * The rule: a limit the class declares is a bucket of its own (keys under
 * `deployment:<id>:long_context:`), charged only by the class's calls, and
 * the standard bucket of the same dimension and window no longer sees them;
 * a limit the class does not declare stays shared by both classes. So the
 * Anthropic shape is `long_context: { above_input_tokens: 200000, itpm, otpm }`
 * with `rpm` shared.
 *
 * A call is charged to the class its estimate falls in and settled in the
 * class its usage shows (`reassignment`).
 */
import type { Usage } from '../core/cost.js';
import type { BucketScope, BucketSpec } from '../core/limit.js';
import type { Reassignment } from '../stores/store.js';
import { bucketsFor, type LimitsConfig } from './limits.js';

export type SizeClass = 'standard' | 'long_context';

export interface LongContextConfig extends LimitsConfig {
  /** A call whose input tokens exceed this many belongs to the long-context class. */
  aboveInputTokens: number;
}

/** The key part of the long-context class's buckets. */
export const LONG_CONTEXT = 'long_context';

/** Usage as reported, with every input token the model read when the provider counts some apart (prompt-cache reads). */
export interface SizedUsage extends Usage {
  readonly promptTokens?: number | undefined;
}

/**
 * Input tokens a class is decided on: all the model read, cached or not
 * (Anthropic's 200 K threshold counts cache reads and writes).
 */
export function promptTokensOf(usage: SizedUsage): number {
  return usage.promptTokens ?? usage.inputTokens;
}

/** The long-context class of one deployment: its threshold and its declared buckets. */
export class LongContextClass {
  readonly aboveInputTokens: number;
  /** Buckets as declared (before a provider-reported or adaptive limit replaces one). */
  readonly declared: readonly BucketSpec[];

  constructor(scope: BucketScope, config: LongContextConfig, margin: number) {
    if (!(config.aboveInputTokens > 0) || !Number.isFinite(config.aboveInputTokens)) {
      throw new RangeError(
        `long_context.above_input_tokens must be a positive number, got ${config.aboveInputTokens}`,
      );
    }
    this.aboveInputTokens = config.aboveInputTokens;
    const { aboveInputTokens: _, ...limits } = config;
    this.declared = bucketsFor(scope, limits, margin, LONG_CONTEXT);
  }

  classOf(inputTokens: number): SizeClass {
    return inputTokens > this.aboveInputTokens ? 'long_context' : 'standard';
  }

  /** Whether the class keeps a bucket of its own for this bucket's dimension and window. */
  replaces(spec: BucketSpec): boolean {
    return this.declared.some((own) => own.dimension === spec.dimension && own.per === spec.per);
  }

  /**
   * The buckets a long-context call is charged on: the class's own, and the
   * standard ones it does not replace (shared by both classes).
   */
  compose(standard: readonly BucketSpec[], own: readonly BucketSpec[]): BucketSpec[] {
    return [...standard.filter((b) => !this.replaces(b)), ...own];
  }
}

/**
 * What moves when usage shows another class than the estimate: the
 * reservation's buckets that only the estimated class has are released, and
 * the buckets only the actual class has are charged. Shared buckets settle
 * as usual. Undefined when nothing moves.
 */
export function reassignment(
  reserved: readonly BucketSpec[],
  estimated: readonly BucketSpec[],
  actual: readonly BucketSpec[],
): Reassignment | undefined {
  const actualKeys = new Set(actual.map((b) => b.key));
  const estimatedKeys = new Set(estimated.map((b) => b.key));
  const release = reserved.filter((b) => estimatedKeys.has(b.key) && !actualKeys.has(b.key));
  const charge = actual.filter((b) => !estimatedKeys.has(b.key));
  return release.length === 0 && charge.length === 0 ? undefined : { release, charge };
}
