/**
 * How a call reaches a deployment of another API family: its request read
 * once into the neutral chat call (`providers/translate/`), written once per
 * target family, and the answer's way back. A deployment a call cannot
 * cross to (a parameter its API cannot express, an endpoint that is not a
 * chat call, no key of its own) is left out of this call's places; when no
 * deployment is left, the caller gets a 400 naming the parameters and the
 * deployments (`untranslatableRefusal`).
 */
import type { Endpoint } from '../providers/adapter.js';
import { API_FAMILIES, type ApiFamily, familiesOf } from '../providers/api-family.js';
import { TRACE_HEADERS } from '../providers/forwarding.js';
import {
  type ChatApiTable,
  type ChatRequestOutput,
  callerParameter,
  chatApiOfEndpoint,
  chatApiOfFamily,
} from '../providers/translate/chat-apis.js';
import type { NeutralRequest } from '../providers/translate/neutral.js';
import type { StreamFormat } from '../providers/translate/stream/stream-translation.js';
import type { Translation, Untranslatable } from '../providers/translate/translation.js';
import type { Deployment } from './deployment.js';
import type { Call } from './exchange/call.js';
import { type Refusal, refusal } from './refusal.js';
import type { CallShape } from './upstream-target.js';

/** A call written for a deployment of another family. */
export interface Crossing {
  /** The caller's chat API (its answer is written in it). */
  readonly from: ChatApiTable;
  /** The deployment's chat API (the request is written in it). */
  readonly to: ChatApiTable;
  readonly request: ChatRequestOutput;
  /** What the upstream is sent instead of the caller's call. */
  readonly shape: CallShape;
  /** The upstream's stream framing, and the caller's. */
  readonly upstreamStream: StreamFormat;
  readonly callerStream: StreamFormat;
  /** The caller asked for usage in its stream (OpenAI `stream_options.include_usage`). */
  readonly streamUsage: boolean;
  /** When the call was planned, in Unix seconds: `created` for a caller's API that wants one the upstream's lacks. */
  readonly createdSeconds: number;
}

/** How one deployment can take this call. */
export type Reach =
  | { readonly kind: 'native' }
  | { readonly kind: 'crossing'; readonly crossing: Crossing }
  | { readonly kind: 'unreachable'; readonly why: readonly Untranslatable[] };

const NATIVE: Reach = Object.freeze({ kind: 'native' });

/** One call's ways to each deployment, worked out once per target family and model. */
export class Crossings {
  private neutral: Translation<NeutralRequest> | undefined;
  private readonly byTarget = new Map<string, Reach>();
  private readonly from: ChatApiTable | undefined;

  constructor(
    private readonly call: Call,
    /** The clock's time when the call was planned (ms). */
    private readonly now: number,
  ) {
    this.from = chatApiOfEndpoint(call.endpoint);
  }

  /** Whether the call is a chat call that can be translated at all. */
  get translates(): boolean {
    return this.from !== undefined && this.call.body !== undefined;
  }

  reach(deployment: Deployment): Reach {
    const families = familiesOf(deployment.config.provider);
    // A scheduled call is the caller's own function: any deployment's capacity serves it.
    if (families.includes(this.call.family) || this.call.endpoint === 'scheduled') return NATIVE;
    const key = `${deployment.config.provider}\u0000${deployment.config.model}\u0000${deployment.config.apiKey ? 1 : 0}`;
    let reach = this.byTarget.get(key);
    if (!reach) {
      reach = this.cross(deployment, families[0] as ApiFamily);
      this.byTarget.set(key, reach);
    }
    return reach;
  }

  private cross(deployment: Deployment, family: ApiFamily): Reach {
    const from = this.from;
    const call = this.call;
    if (!from || call.body === undefined)
      return unreachable(
        '',
        `${endpointWords(call.endpoint)} cannot be sent to a ${title(family)} deployment`,
      );
    // The caller's key is for its own provider: a crossed call is sent with the deployment's.
    if (!deployment.config.apiKey)
      return unreachable(
        '',
        `the ${title(family)} deployment has no key of its own to send a translated call with`,
      );
    this.neutral ??= from.readRequest({ body: call.body, model: call.model, stream: call.stream });
    const neutral = this.neutral;
    if (!neutral.ok) return { kind: 'unreachable', why: neutral.untranslatable };
    const to = chatApiOfFamily(family);
    const written = to.writeRequest(neutral.value, { model: deployment.config.model });
    if (!written.ok) {
      const why = written.untranslatable.map((u) => ({
        ...u,
        parameter: callerParameter(from, u.parameter),
      }));
      return { kind: 'unreachable', why };
    }
    const request = written.value;
    const rawBody = JSON.stringify(request.body);
    const q = call.path.indexOf('?');
    const callerQuery = q < 0 ? '' : call.path.slice(q);
    return {
      kind: 'crossing',
      crossing: {
        from,
        to,
        request,
        shape: {
          family,
          endpoint: request.endpoint,
          method: 'POST',
          path: `${request.pathname}${request.query}`,
          body: request.body,
          rawBody,
          stream: call.stream,
          // Only tracing travels: the caller's other headers are its own API's (versions, betas, its key).
          forwardHeaders: tracingOf(call.forwardHeaders),
          forwarding: 'allow-list',
        },
        upstreamStream: to.streamFormat(request.query),
        callerStream: from.streamFormat(callerQuery),
        streamUsage: neutral.value.streamUsage,
        createdSeconds: Math.floor(this.now / 1000),
      },
    };
  }
}

function tracingOf(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const name of TRACE_HEADERS) {
    const value = headers[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function unreachable(parameter: string, reason: string): Reach {
  return { kind: 'unreachable', why: [{ parameter, reason }] };
}

function title(family: ApiFamily): string {
  return API_FAMILIES[family].title;
}

function endpointWords(endpoint: Endpoint): string {
  return `a \`${endpoint}\` call`;
}

/**
 * The 400 for a call no deployment can take: every parameter that stopped
 * it, with the deployments it stopped (ids are the operator's names, not
 * secrets; they tell the caller which of the group's backends refused).
 */
export function untranslatableRefusal(
  group: string,
  stopped: ReadonlyMap<Deployment, readonly Untranslatable[]>,
): Refusal {
  const byParameter = new Map<string, { reason: string; deployments: string[] }>();
  for (const [deployment, why] of stopped) {
    for (const { parameter, reason } of why) {
      const key = `${parameter}\u0000${reason}`;
      const entry = byParameter.get(key) ?? { reason, deployments: [] };
      entry.deployments.push(deployment.id);
      byParameter.set(key, entry);
    }
  }
  const parts = [...byParameter].map(([key, { reason, deployments }]) => {
    const parameter = key.slice(0, key.indexOf('\u0000'));
    const named = parameter === '' ? '' : `\`${parameter}\`: `;
    return `${named}${reason} (deployment${deployments.length > 1 ? 's' : ''} ${deployments.join(', ')})`;
  });
  return refusal(
    'untranslatable',
    `No deployment of the model \`${group}\` can take this request: ${parts.join('; ')}.`,
  );
}
