/**
 * The per-request log line as text, written by a template: the line has a
 * fixed shape, so it is serialised field by field instead of through pino's
 * generic object walk (serializers, redaction, JSON.stringify of the whole
 * object), which cost the largest share of a logged request's CPU. The
 * output is the line pino would write for `logger.info(line, 'request')`
 * with the gateway's logger options (logging.ts): the same keys in the same
 * order, absent fields left out, client-chosen text cut and escaped by the
 * same `clientText`.
 */
import { clientText, type RequestLogLine } from './logging.js';

/** The line, newline-terminated, stamped `time` (epoch ms, as pino's `epochTime`). */
export function formatRequestLine(line: RequestLogLine, time: number): string {
  let out = `{"level":"info","time":${time},"service":"sluice-gateway","request_id":${JSON.stringify(line.request_id)},"method":${JSON.stringify(line.method)},"path":${JSON.stringify(clientText(line.path))},"status":${line.status}`;
  if (line.tenant !== undefined) out += `,"tenant":${JSON.stringify(line.tenant)}`;
  if (line.group !== undefined) out += `,"group":${JSON.stringify(clientText(line.group))}`;
  if (line.deployment !== undefined) out += `,"deployment":${JSON.stringify(line.deployment)}`;
  if (line.priority !== undefined) out += `,"priority":${JSON.stringify(line.priority)}`;
  if (line.wait_ms !== undefined) out += `,"wait_ms":${milliseconds(line.wait_ms)}`;
  out += `,"duration_ms":${milliseconds(line.duration_ms)}`;
  if (line.input_tokens !== undefined) out += `,"input_tokens":${number(line.input_tokens)}`;
  if (line.output_tokens !== undefined) out += `,"output_tokens":${number(line.output_tokens)}`;
  out += `,"retries":${line.retries},"stream":${line.stream}`;
  if (line.refusal !== undefined) out += `,"refusal":${JSON.stringify(line.refusal)}`;
  if (line.upstream_error !== undefined) out += `,"upstream_error":${JSON.stringify(line.upstream_error)}`;
  if (line.upstream_detail !== undefined) out += `,"upstream_detail":${JSON.stringify(line.upstream_detail)}`;
  out += `,"aborted":${line.aborted}`;
  if (line.cut !== undefined) out += `,"cut":${JSON.stringify(line.cut)}`;
  return `${out},"msg":"request"}\n`;
}

/**
 * A duration as JSON writes it, for the common case of whole µs (the
 * request log rounds to them) built from integers: turning a fractional
 * double into its shortest decimal was the template's largest cost.
 */
function milliseconds(ms: number): string {
  const us = Math.round(ms * 1000);
  if (us / 1000 !== ms || us < 0 || us > 1e15) return number(ms);
  const whole = Math.floor(us / 1000);
  const fraction = us - whole * 1000;
  if (fraction === 0) return String(whole);
  const digits = fraction < 10 ? `00${fraction}` : fraction < 100 ? `0${fraction}` : String(fraction);
  return `${whole}.${digits.endsWith('00') ? digits[0] : digits.endsWith('0') ? digits.slice(0, 2) : digits}`;
}

/** As JSON writes numbers: a non-finite one is `null`. */
function number(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}
