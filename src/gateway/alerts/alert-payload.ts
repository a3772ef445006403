/**
 * What an alert webhook receives for one bucket's level change: Sluice's
 * JSON, or a Slack incoming-webhook body (`format: slack`). Ids and numbers
 * only: a bucket key names its scope and owner, never a credential.
 */
import { randomUUID } from 'node:crypto';
import { ALERT_NAMES, type AlertTransition } from '../../runtime/load/bucket-levels.js';

export type WebhookFormat = 'json' | 'slack';

export interface AlertEvent {
  readonly id: string;
  readonly type: 'sluice.bucket_alert';
  readonly at: string;
  readonly level: (typeof ALERT_NAMES)[number];
  readonly from: (typeof ALERT_NAMES)[number];
  readonly bucket: {
    readonly key: string;
    readonly scope: string;
    readonly owner: string;
    readonly dimension: string;
    readonly window: string | null;
    readonly limit: number;
    readonly capacity: number;
    readonly utilization: number;
  };
}

export function alertEvent({ bucket, from, to }: AlertTransition, atMs: number): AlertEvent {
  return {
    id: `alert_${randomUUID()}`,
    type: 'sluice.bucket_alert',
    at: new Date(atMs).toISOString(),
    level: ALERT_NAMES[to],
    from: ALERT_NAMES[from],
    bucket: {
      key: bucket.key,
      scope: bucket.scope,
      owner: bucket.owner,
      dimension: bucket.dimension,
      window: bucket.window ?? null,
      limit: bucket.limit,
      capacity: bucket.capacity,
      utilization: Math.round(bucket.utilization * 1000) / 1000,
    },
  };
}

const MARK = { ok: ':white_check_mark:', warn: ':warning:', act: ':rotating_light:' } as const;

/** The body sent for `event` in `format`. */
export function webhookBody(event: AlertEvent, format: WebhookFormat): string {
  if (format === 'json') return JSON.stringify(event);
  const { bucket } = event;
  const per = bucket.window ? ` per ${bucket.window}` : '';
  const what = `${bucket.scope} ${bucket.owner}: ${bucket.dimension}${per}`;
  const used = `${Math.round(bucket.utilization * 100)} % of ${Math.round(bucket.capacity).toLocaleString('en-US')}`;
  const text =
    event.level === 'ok'
      ? `${MARK.ok} Sluice: ${what} back to normal (${used}, was ${event.from})`
      : `${MARK[event.level]} Sluice ${event.level}: ${what} at ${used} (was ${event.from})`;
  return JSON.stringify({
    text,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `${text}\n\`${bucket.key}\` · ${event.at}` } }],
  });
}
