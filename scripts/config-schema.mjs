// Writes config.schema.json from the zod schema in src/config.ts (through dist/: run
// `npm run build` first). test/config-schema.test.ts fails while the shipped file differs.
import { writeFileSync } from 'node:fs';
import { configJsonSchema } from '../dist/config.js';

const out = new URL('../config.schema.json', import.meta.url);
writeFileSync(out, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${out.pathname}\n`);
