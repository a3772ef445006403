/** What `sluice simulate` prints at start: where it listens, what it serves, which limits and faults apply. */
import { backgroundList, type LimitSet, type SimulatorConfig } from './config.js';
import { LIMIT_DIMENSIONS } from './limits/bucket.js';

function limitText(limits: LimitSet): string {
  const parts: string[] = [];
  for (const d of LIMIT_DIMENSIONS) if (limits[d] !== undefined) parts.push(`${d} ${limits[d]}`);
  if (limits.concurrency !== undefined) parts.push(`concurrency ${limits.concurrency}`);
  if (limits.window === 'fixed') parts.push('fixed minute windows');
  if (limits.day) parts.push(`${limits.day} days`);
  const long = limits.long_context;
  if (long) {
    const own = LIMIT_DIMENSIONS.filter((d) => long[d] !== undefined).map((d) => `${d} ${long[d]}`);
    parts.push(`above ${long.above_input_tokens} input tokens: ${own.join(', ')} of their own`);
  }
  return parts.join(', ') || '(no limit)';
}

export function describeSimulator(config: SimulatorConfig, url: string): string[] {
  const lines = [
    `Sluice provider simulator listening on ${url}`,
    `  OpenAI     ${url}/v1  POST chat/completions, responses, completions, embeddings; GET models`,
    `  Anthropic  ${url}  POST /v1/messages, /v1/messages/count_tokens`,
    `  Gemini     ${url}  POST /v1beta/models/{model}:generateContent, :streamGenerateContent, :countTokens`,
    `  Batches    OpenAI /v1/files, /v1/batches; Anthropic /v1/messages/batches (${config.batches.pace_ms_per_line} ms per line)`,
    `  Control    GET ${url}/_sim/stats, POST ${url}/_sim/reset, POST ${url}/_sim/batches/complete`,
    'Limits:',
  ];
  if (config.defaults) lines.push(`  every key × model: ${limitText(config.defaults)}`);
  for (const [key, entry] of Object.entries(config.keys)) {
    for (const [model, limits] of Object.entries(entry.models)) {
      lines.push(`  ${key} / ${model}${model.includes('*') ? ' (shared pool)' : ''}: ${limitText(limits)}`);
    }
  }
  if (lines.at(-1) === 'Limits:') lines.push('  none: every call is admitted');
  const r = config.response;
  const answer = r.mode === 'lorem' ? `lorem, ${r.tokens} tokens` : r.mode === 'echo' ? 'echo' : `fixed text`;
  const l = config.latency;
  lines.push(
    `Answers: ${answer} (a tool call when the request offers tools and the user spoke last); latency ${l.ttft_ms} ms to first token + ${l.per_token_ms} ms/token, jitter ${l.jitter}; seed ${config.seed}; auth ${config.auth}`,
  );
  const k = config.token_counting.prompt_multiplier;
  if (k !== 1) lines.push(`Prompts counted as ${k} × Sluice's tokenizer (charged and reported)`);
  for (const f of config.faults) {
    const trigger = [
      f.rate !== undefined ? `rate ${f.rate}` : '',
      f.at ? `at #${f.at.join(', #')}` : '',
      f.every ? `every ${f.every}` : '',
      f.from !== undefined ? `from #${f.from}${f.to !== undefined ? ` to #${f.to}` : ' on'}` : '',
      f.during ? `during ${f.during[0]}–${f.during[1]} ms` : '',
    ].filter(Boolean);
    const scope = [f.flavour, f.key, f.model].filter(Boolean).join(' ');
    lines.push(`Fault: ${f.kind} ${trigger.join(', ')}${scope ? ` (${scope})` : ''}`);
  }
  for (const b of backgroundList(config)) {
    const flows = (['rpm', 'tpm', 'itpm', 'otpm'] as const)
      .filter((d) => b[d])
      .map((d) => `${d} ${b[d]}`)
      .concat(b.concurrency ? [`concurrency ${b.concurrency}`] : []);
    lines.push(`Other clients on ${b.key} / ${b.model}: ${flows.join(', ')}`);
  }
  return lines;
}
