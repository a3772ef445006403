import { describe, expect, it } from 'vitest';
import { PriorityClasses } from '../../src/core/scheduler/priority.js';
import type { DeploymentConfig } from '../../src/runtime/deployment.js';
import { ModelGroups } from '../../src/runtime/model-groups.js';

const deployment = (id: string): DeploymentConfig => ({
  id,
  provider: 'openai',
  baseUrl: 'http://upstream.test/v1',
  model: id,
});

const topology = new ModelGroups(
  {
    modelGroups: {
      cheap: {
        deployments: [deployment('c')],
        fallbacks: ['pricey'],
        downgrade: { to: 'pricey', whenHeadroomBelow: 0.2 },
      },
      pricey: { deployments: [deployment('p')], fallbacks: ['cheap-2'] },
      'cheap-2': { deployments: [deployment('c2')] },
    },
    tenants: [{ id: 'limited', modelGroups: ['cheap', 'cheap-2'] }, { id: 'open' }],
  },
  new PriorityClasses(),
  { emit: () => {} },
);
const cheap = topology.group('cheap');
if (!cheap) throw new Error('no group cheap');
const tenant = (id: string) => {
  const found = topology.tenants.resolve(id);
  if (!found) throw new Error(`no tenant ${id}`);
  return found;
};
const names = (id: string) => topology.chain(cheap, tenant(id)).map((g) => g.name);

describe('ModelGroups.chain and downgradeOf', () => {
  it("keeps only the groups a tenant may use, in order, and still follows a skipped group's fallbacks", () => {
    expect(names('open')).toEqual(['cheap', 'pricey', 'cheap-2']);
    expect(names('limited')).toEqual(['cheap', 'cheap-2']);
  });

  it('offers a downgrade only to a group the tenant may use', () => {
    expect(topology.downgradeOf(cheap, tenant('open'))?.name).toBe('pricey');
    expect(topology.downgradeOf(cheap, tenant('limited'))).toBeUndefined();
  });
});
