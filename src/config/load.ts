/**
 * Reading a configuration, for both faces: YAML text (or an object built in
 * code), `${ENV_VAR}` interpolation for secrets, then a schema. Every failure
 * is a `ConfigError` whose message names the source, the key path and what
 * was expected, and never echoes a value (values may be secrets).
 */
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';

export class ConfigError extends Error {
  readonly code = 'invalid_config';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Parses YAML (or JSON) text and validates it against `schema`. */
export function parseConfigTextWith<S extends z.ZodType>(
  schema: S,
  text: string,
  source: string,
  env: Env = process.env,
): z.output<S> {
  let data: unknown;
  try {
    data = parseYaml(quoteBareVariables(text), { prettyErrors: true });
  } catch (error) {
    throw new ConfigError(`${source} is not valid YAML: ${(error as Error).message}`, { cause: error });
  }
  return parseConfigWith(schema, data, source, env);
}

/** Validates a configuration object (already parsed) against `schema`, after interpolating `${VAR}` in its strings. */
export function parseConfigWith<S extends z.ZodType>(
  schema: S,
  data: unknown,
  source: string,
  env: Env = process.env,
): z.output<S> {
  const problems: string[] = [];
  const interpolated = interpolate(data ?? {}, [], env, problems);
  if (problems.length > 0) {
    throw new ConfigError(`${source} is invalid:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
  const result = schema.safeParse(interpolated, { reportInput: true });
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${describeIssue(issue)}`);
  throw new ConfigError(`${source} is invalid:\n${lines.join('\n')}`);
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * `key: ${ACME_KEY}` inside a flow mapping (`- { id: acme, key: ${ACME_KEY} }`,
 * the form the README shows) is not valid YAML: `{` cannot start a plain
 * scalar there. A `${VAR}` that is a whole value is quoted before parsing, so
 * both forms work; substitution itself happens after parsing, on strings, so
 * an environment value can never change the YAML's structure.
 */
const BARE_VARIABLE =
  /([:[,{]\s*|^\s*-\s+)(\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}"'\n]*)?\})(?=\s*(?:[,}\]]|\s#|$))/gm;

export function quoteBareVariables(text: string): string {
  return text.includes('${') ? text.replace(BARE_VARIABLE, '$1"$2"') : text;
}

/**
 * Replaces `${NAME}` (or `${NAME:-default}`) in every string value. A
 * missing variable is an error naming the key, not an empty string: an empty
 * API key would only fail later, upstream, with a confusing 401. `$${` is a
 * literal `${`.
 */
function interpolate(value: unknown, path: (string | number)[], env: Env, problems: string[]): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    return value
      .split('$${')
      .map((part) =>
        part.replace(VARIABLE, (_, name: string, fallback: string | undefined) => {
          const found = env[name];
          if (found !== undefined && found !== '') return found;
          if (fallback !== undefined) return fallback;
          problems.push(`${keyPath(path)}: environment variable ${name} is not set`);
          return '';
        }),
      )
      .join('${');
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, [...path, i], env, problems));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, [...path, k], env, problems);
    return out;
  }
  return value;
}

/** `model_groups.gpt-4o-mini.deployments[0].provider` */
export function keyPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const at = keyPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys
        .map((k) => `${keyPath([...issue.path, k])}: unknown key (check its spelling and where it is nested)`)
        .join('\n  ');
    case 'invalid_type':
      return `${at}: expected ${issue.expected}${issue.input === undefined ? ', but it is missing' : `, got ${kindOf(issue.input)}`}`;
    case 'invalid_value':
      return `${at}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union':
      return `${at}: ${unionMessage(issue)}`;
    case 'too_small':
      return `${at}: ${issue.message.replace(/^Too small: /, '')}`;
    case 'too_big':
      return `${at}: ${issue.message.replace(/^Too big: /, '')}`;
    default:
      return `${at}: ${issue.message}`;
  }
}

function unionMessage(issue: z.core.$ZodIssueInvalidUnion): string {
  // The one discriminated union is `store`: name its kinds rather than zod's "No matching discriminator".
  if ('note' in issue && issue.note === 'No matching discriminator')
    return 'expected one of "memory", "redis"';
  return issue.message;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}
