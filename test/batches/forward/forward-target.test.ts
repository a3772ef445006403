/** Where a forwarded batch goes: the deployment's URL layout, its headers and key, and which deployments qualify. */
import { describe, expect, it } from 'vitest';
import { forwardDeploymentOf, forwardTarget } from '../../../src/batches/forward/forward-target.js';
import { upstreamBody } from '../../../src/batches/forward/upstream-body.js';
import { chatLine, deploymentFor, messageLine } from './forward-setup.js';

describe('forward target', () => {
  it("lays out OpenAI paths after the versioned base and sends the deployment's key", () => {
    const d = deploymentFor('openai', 'https://api.openai.com', {
      headers: { 'OpenAI-Organization': 'org-1', authorization: 'Bearer someone-else' },
    });
    const target = forwardTarget(d, 'openai');
    expect(target?.url('/v1/files')).toBe('https://api.openai.com/v1/files');
    expect(target?.headers).toEqual({ 'openai-organization': 'org-1', authorization: 'Bearer sk-forward' });
  });

  it('sends Anthropic paths as they are, with the API version when the config names none', () => {
    const target = forwardTarget(
      deploymentFor('anthropic', 'https://api.anthropic.com', { headers: {} }),
      'anthropic',
    );
    expect(target?.url('/v1/messages/batches')).toBe('https://api.anthropic.com/v1/messages/batches');
    expect(target?.headers).toEqual({ 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-forward' });
  });

  it('takes only deployments of the batch API with a key of their own', () => {
    const keyless = deploymentFor('openai', 'https://a.example', { id: 'keyless', apiKey: undefined });
    const anthropic = deploymentFor('anthropic', 'https://b.example');
    const keyed = deploymentFor('openai', 'https://c.example', { id: 'keyed' });
    expect(forwardTarget(keyless, 'openai')).toBeUndefined();
    expect(forwardTarget(anthropic, 'openai')).toBeUndefined();
    expect(forwardDeploymentOf([keyless, anthropic, keyed], 'openai')?.id).toBe('keyed');
    expect(forwardDeploymentOf([keyless, anthropic], 'openai')).toBeUndefined();
  });

  it("rewrites a line's model to the deployment's, leaving the rest of the body alone", () => {
    const line = chatLine(0, 'a');
    expect(upstreamBody(deploymentFor('openai', 'https://x.example'), line)).toEqual({
      ...line.body,
      model: 'gpt-4o-mini',
    });
    expect(line.body.model).toBe('chat');
    expect(upstreamBody(deploymentFor('anthropic', 'https://x.example'), messageLine(0, 'b')).model).toBe(
      'claude-sonnet-4-5',
    );
  });
});
