import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, parseConfig } from '../src/config.js';

// config.schema.json is generated from the zod schema (`npm run config-schema`): editors check a
// config against it, so it must say what the program accepts, no more and no less.
describe('config.schema.json', () => {
  const shipped = JSON.parse(readFileSync(new URL('../config.schema.json', import.meta.url), 'utf8'));

  it('equals the schema generated from src/config.ts', () => {
    expect(shipped).toEqual(configJsonSchema());
  });

  it('is named by config.example.json, whose $schema field the config accepts', () => {
    const raw = JSON.parse(readFileSync(new URL('../config.example.json', import.meta.url), 'utf8'));
    expect(raw.$schema).toBe('./config.schema.json');
    expect(parseConfig(raw, '/').pairs).toHaveLength(1);
  });

  it('names every top-level field the program knows, with its default, and no others', () => {
    const props = shipped.properties as Record<string, { default?: unknown }>;
    expect(shipped.additionalProperties).toBe(false);
    expect(props.concurrency?.default).toBe(16);
    expect(props.watcher?.default).toBe('auto');
    expect(shipped.required).toEqual(['stateDir', 'pairs']);
    const pair = (props.pairs as { items: { required: string[]; additionalProperties: boolean } }).items;
    expect(pair.required).toEqual(['name', 'path', 'bucket']);
    expect(pair.additionalProperties).toBe(false);
  });
});
