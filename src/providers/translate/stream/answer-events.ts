/**
 * A whole neutral answer as stream events, and stream events gathered back
 * into a whole answer. What lets an answer stored whole be replayed as a
 * stream in any family's framing (the response cache), and a stream be kept
 * as the answer it carried.
 */

import { parseJsonObject } from '../json-read.js';
import type {
  NeutralAnswer,
  NeutralStopReason,
  NeutralText,
  NeutralToolCall,
  NeutralUsage,
} from '../neutral.js';
import type { NeutralStreamEvent, StreamSink } from './events.js';

/** The events a reader would say for `answer`, in order: start, usage, each part whole, stop, usage. */
export function answerEvents(answer: NeutralAnswer): NeutralStreamEvent[] {
  const events: NeutralStreamEvent[] = [
    {
      kind: 'start',
      id: answer.id,
      model: answer.model,
      ...(answer.createdSeconds !== undefined ? { createdSeconds: answer.createdSeconds } : {}),
    },
    { kind: 'usage', usage: answer.usage },
  ];
  answer.content.forEach((part, index) => {
    if (part.kind === 'text') {
      events.push({ kind: 'text', index, text: part.text });
      return;
    }
    events.push({ kind: 'tool-call', index, id: part.id, name: part.name });
    events.push({ kind: 'tool-arguments', index, json: JSON.stringify(part.arguments) });
  });
  events.push({
    kind: 'stop',
    reason: answer.stopReason,
    ...(answer.stopSequence !== undefined ? { stopSequence: answer.stopSequence } : {}),
  });
  events.push({ kind: 'usage', usage: answer.usage });
  return events;
}

interface Block {
  kind: 'text' | 'tool-call';
  text: string;
  id: string;
  name: string;
}

/**
 * Gathers a stream's events into the answer it carried: complete only when
 * the stream started, stopped and reported usage without an error, and
 * every tool call's arguments form a JSON object.
 */
export class AnswerAssembler {
  private id = '';
  private model = '';
  private createdSeconds: number | undefined;
  private started = false;
  private stopReason: NeutralStopReason | undefined;
  private stopSequence: string | undefined;
  private usage: NeutralUsage | undefined;
  private failed = false;
  private readonly blocks: Block[] = [];

  readonly sink: StreamSink = (event) => {
    switch (event.kind) {
      case 'start':
        this.started = true;
        this.id = event.id;
        this.model = event.model;
        this.createdSeconds = event.createdSeconds;
        return;
      case 'text':
        this.block(event.index, 'text').text += event.text;
        return;
      case 'tool-call': {
        const block = this.block(event.index, 'tool-call');
        block.id = event.id;
        block.name = event.name;
        return;
      }
      case 'tool-arguments':
        this.block(event.index, 'tool-call').text += event.json;
        return;
      case 'usage':
        this.usage = event.usage;
        return;
      case 'stop':
        this.stopReason = event.reason;
        this.stopSequence = event.stopSequence;
        return;
      case 'error':
        this.failed = true;
        return;
    }
  };

  /** The whole answer, or undefined when the stream did not carry a complete one. */
  answer(): NeutralAnswer | undefined {
    if (!this.started || this.failed || !this.stopReason || !this.usage) return undefined;
    const content: (NeutralText | NeutralToolCall)[] = [];
    for (const block of this.blocks) {
      if (!block) return undefined; // a gap in the numbering: something was not seen
      if (block.kind === 'text') {
        content.push({ kind: 'text', text: block.text });
        continue;
      }
      const args = parseJsonObject(block.text === '' ? '{}' : block.text);
      if (!args) return undefined;
      content.push({ kind: 'tool-call', id: block.id, name: block.name, arguments: args });
    }
    return {
      id: this.id,
      model: this.model,
      content,
      stopReason: this.stopReason,
      ...(this.stopSequence !== undefined ? { stopSequence: this.stopSequence } : {}),
      usage: this.usage,
      ...(this.createdSeconds !== undefined ? { createdSeconds: this.createdSeconds } : {}),
    };
  }

  private block(index: number, kind: Block['kind']): Block {
    let block = this.blocks[index];
    if (!block) {
      block = { kind, text: '', id: '', name: '' };
      this.blocks[index] = block;
    }
    return block;
  }
}
