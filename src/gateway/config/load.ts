/**
 * Reading the gateway configuration: the file (or `SLUICE_CONFIG`), YAML,
 * `${ENV_VAR}` interpolation for secrets, then the schema. Every failure is a
 * `GatewayConfigError` whose message names the file, the key path and what
 * was expected, and never echoes a value (values may be secrets).
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { type GatewayConfig, type GatewayConfigInput, gatewayConfigSchema } from './schema.js';

export class GatewayConfigError extends Error {
  readonly code = 'invalid_config';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GatewayConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Reads, interpolates and validates a YAML (or JSON) configuration file. */
export async function loadConfigFile(path: string, env: Env = process.env): Promise<GatewayConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new GatewayConfigError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseConfigText(text, path, env);
}

export function parseConfigText(text: string, source: string, env: Env = process.env): GatewayConfig {
  let data: unknown;
  try {
    data = parseYaml(quoteBareVariables(text), { prettyErrors: true });
  } catch (error) {
    throw new GatewayConfigError(`${source} is not valid YAML: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseConfig(data, source, env);
}

/** Validates a configuration object (already parsed), after interpolating `${VAR}` in its strings. */
export function parseConfig(data: unknown, source: string, env: Env = process.env): GatewayConfig {
  const problems: string[] = [];
  const interpolated = interpolate(data ?? {}, [], env, problems);
  if (problems.length > 0) {
    throw new GatewayConfigError(`${source} is invalid:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
  const result = gatewayConfigSchema.safeParse(interpolated, { reportInput: true });
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${describeIssue(issue)}`);
  throw new GatewayConfigError(`${source} is invalid:\n${lines.join('\n')}`);
}

/** The input type, for configs built in code (the demo, tests). */
export type { GatewayConfigInput };

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
