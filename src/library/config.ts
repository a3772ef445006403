/**
 * The library's configuration: the governor's fields, the same names,
 * nesting and messages as the gateway's YAML (config/governor-schema.ts), plus
 * the three policies only an in-process face has. Validated by the same
 * loader, so `{ rmp: 1 }` or `baseUrl:` is an error naming its key, never a
 * silent "no limit".
 */
import { z } from 'zod';
import {
  checkGovernorReferences,
  governorFields,
  type Issue,
  tenantFields,
} from '../config/governor-schema.js';

export const libraryConfigSchema = z
  .strictObject({
    ...governorFields,
    tenants: z.array(z.strictObject(tenantFields)).default([]),
    /**
     * Tenants the configuration does not declare (calls name theirs in
     * `x-sluice-tenant`): `refuse` (default), or `{ tier }` to give them that
     * tier. The tenant `default` (calls that name none) is always known.
     */
    unknown_tenants: z.union([z.literal('refuse'), z.strictObject({ tier: z.string() })]).default('refuse'),
    /** Calls for a model no group declares: `refuse` (default, a 404 naming it) or `pass` (sent ungoverned). */
    undeclared_models: z.enum(['refuse', 'pass']).default('refuse'),
    /** The app's headers and query upstream: `as-sent` (default) or the gateway's `allow-list`. */
    forwarding: z.enum(['as-sent', 'allow-list']).default('as-sent'),
  })
  .superRefine((config, ctx) => {
    const issue: Issue = (path, message) => ctx.addIssue({ code: 'custom', path, message });
    checkGovernorReferences(config, issue);
    const unknown = config.unknown_tenants;
    if (unknown !== 'refuse' && !(unknown.tier in config.tiers)) {
      issue(
        ['unknown_tenants', 'tier'],
        `unknown tier ${unknown.tier}; expected one of ${Object.keys(config.tiers).join(', ') || '(none)'}`,
      );
    }
  });

export type LibraryConfigInput = z.input<typeof libraryConfigSchema>;
export type LibraryConfig = z.output<typeof libraryConfigSchema>;
