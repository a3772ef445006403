/**
 * The runner's view of the deployments in force, read from the governor's
 * topology at every use (a config reload swaps the topology; a batch keeps
 * the deployment id it was sent with and finds it again by id).
 */
import type { ModelGroups } from '../../runtime/model-groups.js';
import type { ForwardDeployments } from './forward-runner.js';

/** `topology`: e.g. `() => governor.groups`. */
export function forwardDeploymentsOf(
  topology: () => Pick<ModelGroups, 'group' | 'deployment'>,
): ForwardDeployments {
  return {
    group: (name) => topology().group(name)?.deployments ?? [],
    byId: (id) => topology().deployment(id),
  };
}
