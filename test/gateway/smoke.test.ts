import { afterEach, expect, it } from 'vitest';
import { hello, type Rig, startRig } from './helpers.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

it('smoke', async () => {
  rig = await startRig();
  const c = await rig
    .openai()
    .chat.completions.create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 20 });
  expect(c.choices[0]?.message.content).toBeTruthy();
  const s = await rig
    .openai()
    .chat.completions.create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 20, stream: true });
  let text = '';
  for await (const ch of s) {
    text += ch.choices[0]?.delta?.content ?? '';
    expect(ch.usage ?? null).toBeNull();
  }
  expect(text.length).toBeGreaterThan(0);
  const m = await rig.anthropic().messages.create({ model: 'claude-haiku', max_tokens: 20, messages: hello });
  expect(m.content[0]?.type).toBe('text');
  console.log(rig.logs.filter((l) => l.msg === 'request'));
  console.log(await rig.gateway.governor.store.stats());
});
