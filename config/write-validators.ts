/**
 * Compiles the configuration's validators ahead of time (run by `npm run build`, after tsc):
 * writes dist/config/validators.js anew as Ajv's standalone code for the same schema and options
 * config/validators.ts compiles at import, exporting the same names. The daemon and the CLI then
 * load plain functions instead of compiling the schema as each process starts.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import standaloneModule from 'ajv/dist/standalone/index.js';
import { brokerLimitsSchema, readerSchemas, topLevelSchema, VALIDATION } from './json-schema.js';

const Ajv = AjvModule.default ?? AjvModule;
const standaloneCode = standaloneModule.default ?? standaloneModule;

/** The module's text: the validators, then the names config/validators.ts exports. */
export function precompiledValidators(): string {
  const ajv = new Ajv({ ...VALIDATION, code: { source: true, esm: true } });
  const exportsById: Record<string, string> = { top: 'top' };
  ajv.addSchema(topLevelSchema(), 'top');
  ajv.addSchema(brokerLimitsSchema(), 'brokerLimits');
  exportsById.brokerLimits = 'brokerLimits';
  const drivers = [...readerSchemas()];
  drivers.forEach(([, schema], i) => {
    ajv.addSchema(schema, `reader-${i}`);
    exportsById[`reader${i}`] = `reader-${i}`;
  });
  const code = standaloneCode(ajv, exportsById).replace(/^"use strict";/, '');
  const byDriver = drivers.map(([driver], i) => `[${JSON.stringify(driver)}, reader${i}]`).join(', ');
  return [
    '// Written by config/write-validators.ts (npm run build) from config/schema.ts: do not edit.',
    // Ajv's standalone code asks for its few runtime helpers (deep equality, string length) with require().
    "import { createRequire } from 'node:module';",
    'const require = createRequire(import.meta.url);',
    code,
    'export const validateTop = top;',
    'export const validateBrokerLimits = brokerLimits;',
    `export const validateReader = new Map([${byDriver}]);`,
    'export const PRECOMPILED = true;',
    '',
  ].join('\n');
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  writeFileSync(new URL('./validators.js', import.meta.url), precompiledValidators());
  // tsc's map is of the module this one replaces.
  rmSync(new URL('./validators.js.map', import.meta.url), { force: true });
}
