/**
 * The configuration's validators: the top level, one per reader driver, and the embedded broker's
 * limits alone (whose defaults fill a broker started without a config section).
 *
 * This module compiles them from the schema when it is imported, which takes most of a CLI
 * command's start-up. `npm run build` therefore replaces its output, dist/config/validators.js,
 * with the same validators compiled ahead of time from the same schema (config/write-validators.ts):
 * the daemon and every CLI command start without Ajv's compiler or the schema's modules. A build
 * by `tsc` alone leaves this module as it is: slower to start, validating alike.
 */
import AjvModule, { type ValidateFunction } from 'ajv';
import { brokerLimitsSchema, readerSchemas, topLevelSchema, VALIDATION } from './json-schema.js';

const Ajv = AjvModule.default ?? AjvModule;
const ajv = new Ajv(VALIDATION);

/** Validates the whole file but its readers, filling defaults in place. */
export const validateTop: ValidateFunction = ajv.compile(topLevelSchema());

/** A reader's validator by its `driver`, filling defaults in place; the keys are the known drivers. */
export const validateReader: ReadonlyMap<string, ValidateFunction> = new Map(
  [...readerSchemas()].map(([driver, schema]) => [driver, ajv.compile(schema)]),
);

/** Validates the embedded broker's limits alone, filling their defaults in place. */
export const validateBrokerLimits: ValidateFunction = ajv.compile(brokerLimitsSchema());

/** Whether these validators were compiled ahead of time (the build's output), or at import. */
export const PRECOMPILED: boolean = false;
