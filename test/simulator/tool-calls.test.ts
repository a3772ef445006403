/**
 * The simulator's tool-call rule and argument builder, without a server:
 * which answers call a tool, and that the arguments fit the tool's schema
 * and stream back to the same JSON.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toolArguments } from '../../src/simulator/tool-arguments.js';
import { decideTool, jsonPieces, toolCallAnswer } from '../../src/simulator/tool-calls.js';

const weather = {
  name: 'get_weather',
  parameters: {
    type: 'object',
    properties: {
      city: { type: 'string' },
      days: { type: 'integer', minimum: 1, maximum: 7 },
      unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
      detailed: { type: 'boolean' },
      note: { type: 'string' },
    },
    required: ['city', 'days', 'unit', 'detailed'],
  },
};
const search = { name: 'search', parameters: { type: 'object', properties: { q: { type: 'string' } } } };

describe('toolArguments', () => {
  it('fills the required properties, in schema order, from the text', () => {
    expect(toolArguments(weather.parameters, '  Paris for 10 days in fahrenheit please ')).toEqual({
      city: 'Paris for 10 days in fahrenheit please',
      days: 7,
      unit: 'fahrenheit',
      detailed: false,
    });
    expect(Object.keys(toolArguments(weather.parameters, 'x'))).toEqual(['city', 'days', 'unit', 'detailed']);
    expect(toolArguments(weather.parameters, 'no numbers')).toMatchObject({ days: 1, unit: 'celsius' });
  });

  it('takes const and default, follows $ref, first branches, Gemini types and nested objects', () => {
    const schema = {
      type: 'OBJECT',
      properties: {
        kind: { const: 'fixed' },
        limit: { type: 'NUMBER', default: 3 },
        place: { $ref: '#/$defs/place' },
        either: { anyOf: [{ type: 'integer' }, { type: 'string' }] },
        tags: { type: 'array', items: { type: 'string', maxLength: 2 }, minItems: 2 },
        maybe: { type: ['null', 'boolean'] },
      },
      required: ['kind', 'limit', 'place', 'either', 'tags', 'maybe', 'extra'],
      $defs: { place: { type: 'object', properties: { lat: { type: 'number' } }, required: ['lat'] } },
    };
    expect(toolArguments(schema, 'at -12.5 north')).toEqual({
      kind: 'fixed',
      limit: 3,
      place: { lat: -12.5 },
      either: -12,
      tags: ['at', 'at'],
      maybe: false,
      extra: 'at -12.5 north',
    });
  });

  it('gives {} for a missing, non-object or cyclic schema', () => {
    expect(toolArguments(undefined, 'hi')).toEqual({});
    expect(toolArguments({ type: 'string' }, 'hi')).toEqual({});
    const cyclic = { type: 'object', properties: { self: { $ref: '#' } }, required: ['self'] };
    expect(JSON.stringify(toolArguments(cyclic, 'hi'))).toContain('null');
  });

  it('stays small and own-keyed whatever the schema', () => {
    // Arrays of 16 arrays of 16 … eight deep would be 16^8 values without the budget.
    const explosive = { type: 'array', minItems: 1e9, items: { $ref: '#' } };
    // Parsed from text: an object literal would take `__proto__` as its prototype, JSON.parse as a key.
    const wide = JSON.parse(
      `{"type":"object","properties":{"__proto__":{"type":"string","minLength":1e9},"deep":${JSON.stringify(explosive)}},"required":["__proto__","deep","toString"]}`,
    );
    const args = toolArguments(wide, 'a'.repeat(100_000));
    expect(Object.keys(args)).toEqual(['__proto__', 'deep', 'toString']);
    // At most 256 values of at most 1,000 characters each, not 16^8 of them.
    expect(JSON.stringify(args).length).toBeLessThan(300_000);
    expect(Object.getOwnPropertyDescriptor(args, '__proto__')?.value).toBe('a'.repeat(1_000));
    expect(Object.hasOwn(args, 'toString')).toBe(true);
    expect(Object.getPrototypeOf(args)).toBe(Object.prototype);
  });
});

describe('decideTool', () => {
  const tools = [weather, search];
  it('calls the first tool for auto and required, the named or first allowed one, and none for none', () => {
    expect(decideTool({ tools, choice: { mode: 'any' }, lastIsUser: true })).toEqual({
      kind: 'call',
      tool: weather,
    });
    expect(decideTool({ tools, choice: { mode: 'named', name: 'search' }, lastIsUser: true })).toEqual({
      kind: 'call',
      tool: search,
    });
    expect(decideTool({ tools, choice: { mode: 'any', allowed: ['search'] }, lastIsUser: true })).toEqual({
      kind: 'call',
      tool: search,
    });
    expect(decideTool({ tools, choice: { mode: 'none' }, lastIsUser: true })).toEqual({ kind: 'text' });
    expect(decideTool({ tools: [], choice: { mode: 'any' }, lastIsUser: true })).toEqual({ kind: 'text' });
  });

  it('answers a tool result with text, and names an unknown tool whatever the last message', () => {
    expect(decideTool({ tools, choice: { mode: 'any' }, lastIsUser: false })).toEqual({ kind: 'text' });
    expect(decideTool({ tools, choice: { mode: 'named', name: 'search' }, lastIsUser: false })).toEqual({
      kind: 'text',
    });
    expect(decideTool({ tools, choice: { mode: 'named', name: 'nope' }, lastIsUser: false })).toEqual({
      kind: 'unknown',
      name: 'nope',
    });
    expect(decideTool({ tools, choice: { mode: 'any', allowed: ['nope'] }, lastIsUser: true })).toEqual({
      kind: 'unknown',
      name: 'nope',
    });
  });
});

describe('toolCallAnswer', () => {
  it('streams fragments that join into the arguments, one output token each', () => {
    const answer = toolCallAnswer(weather, 'Lyon, 3 days', undefined);
    expect(answer.finish).toBe('tool_call');
    expect(answer.toolCall?.input).toEqual({
      city: 'Lyon, 3 days',
      days: 3,
      unit: 'celsius',
      detailed: false,
    });
    expect(answer.pieces.join('')).toBe(answer.toolCall?.arguments);
    expect(answer.pieces.slice(0, 4)).toEqual(['{"', 'city', '":"', 'Lyon']);
  });

  it('cuts the arguments at the output cap and ends for length', () => {
    const answer = toolCallAnswer(weather, 'Lyon', 3);
    expect(answer).toMatchObject({ finish: 'length', pieces: ['{"', 'city', '":"'] });
    expect(answer.toolCall).toEqual({ name: 'get_weather', arguments: '{"city":"', input: undefined });
  });

  it('splits any JSON text into pieces that join back to it', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string(), (value, text) => {
        const json = JSON.stringify({ value, text });
        expect(jsonPieces(json).join('')).toBe(json);
      }),
    );
  });
});
