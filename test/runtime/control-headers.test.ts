import { describe, expect, it } from 'vitest';
import { PriorityClasses } from '../../src/core/scheduler/priority.js';
import { readControlHeaders } from '../../src/runtime/control-headers.js';

const classes = new PriorityClasses();
const from = (headers: Record<string, string>) => (name: string) => headers[name];

describe('readControlHeaders', () => {
  it('reads priority, wait and downgrade, with the default priority when none is sent', () => {
    expect(readControlHeaders(from({}), classes, 'low')).toEqual({
      ok: true,
      priority: 'low',
      maxWaitMs: undefined,
      downgrade: false,
    });
    expect(
      readControlHeaders(
        from({ 'x-sluice-priority': 'high', 'x-sluice-max-wait-ms': '250', 'x-sluice-downgrade': 'allow' }),
        classes,
        'low',
      ),
    ).toEqual({ ok: true, priority: 'high', maxWaitMs: 250, downgrade: true });
  });

  it('refuses an unknown class and a wait that is not a number ≥ 0, naming what is allowed', () => {
    const priority = readControlHeaders(from({ 'x-sluice-priority': 'urgent' }), classes);
    expect(priority).toMatchObject({ ok: false, code: 'invalid_priority' });
    expect(priority.ok ? '' : priority.message).toMatch(/critical, high, normal, low/);
    for (const wait of ['soon', '-1', 'Infinity', '']) {
      expect(readControlHeaders(from({ 'x-sluice-max-wait-ms': wait }), classes)).toMatchObject({
        ok: false,
        code: 'invalid_max_wait',
      });
    }
  });
});
