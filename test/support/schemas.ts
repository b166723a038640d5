/**
 * Validators for what readpoint publishes: GS1's official EPCIS 2.0 JSON Schema (a copy kept in
 * test/fixtures/gs1, see its README) and the project's own contract schemas
 * (events, aggregation events, overflow notices, health, summaries, rejects), each giving the list of errors ([] when valid).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';

const Ajv = AjvModule.default ?? AjvModule;
const addFormats = addFormatsModule.default ?? addFormatsModule;

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const gs1SchemaPath = join(repoRoot, 'test', 'fixtures', 'gs1', 'EPCIS-JSON-Schema.json');

function compile(path: string, strict = false) {
  const ajv = new Ajv({ allErrors: true, strict });
  addFormats(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(path, 'utf8')));
  return (value: unknown): string[] =>
    validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** Errors of `event` against GS1's EPCIS 2.0 schema ([] when valid). */
export const gs1Errors = compile(gs1SchemaPath);
/** Errors of each line of an NDJSON text (a trailing newline allowed) against GS1's EPCIS 2.0 schema. */
export const ndjsonGs1Errors = (ndjson: string): string[][] =>
  ndjson
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => gs1Errors(JSON.parse(line)));
/** Errors of `event` against daemon/contract/event.schema.json ([] when valid). */
export const ownErrors = compile(join(repoRoot, 'daemon', 'contract', 'event.schema.json'));
/** Errors of an AggregationEvent against daemon/contract/aggregation.schema.json (strictly: the schema is ours). */
export const aggregationErrors = compile(
  join(repoRoot, 'daemon', 'contract', 'aggregation.schema.json'),
  true,
);
/** Errors against daemon/contract/overflow.schema.json (checked strictly: the schema is ours). */
export const noticeErrors = compile(join(repoRoot, 'daemon', 'contract', 'overflow.schema.json'), true);
/** Errors against daemon/contract/health.schema.json (checked strictly: the schema is ours). */
export const healthErrors = compile(join(repoRoot, 'daemon', 'contract', 'health.schema.json'), true);
/** Errors against daemon/contract/summary.schema.json (checked strictly: the schema is ours). */
export const summaryErrors = compile(join(repoRoot, 'daemon', 'contract', 'summary.schema.json'), true);
/** Errors against daemon/contract/reject.schema.json (checked strictly: the schema is ours). */
export const rejectErrors = compile(join(repoRoot, 'daemon', 'contract', 'reject.schema.json'), true);
/** Errors against daemon/contract/hold-alert.schema.json (checked strictly: the schema is ours). */
export const holdAlertErrors = compile(join(repoRoot, 'daemon', 'contract', 'hold-alert.schema.json'), true);
/** Errors against daemon/contract/hold-update.schema.json (checked strictly: the schema is ours). */
export const holdUpdateErrors = compile(
  join(repoRoot, 'daemon', 'contract', 'hold-update.schema.json'),
  true,
);
/** Errors against daemon/contract/context-change.schema.json (checked strictly: the schema is ours). */
export const contextChangeErrors = compile(
  join(repoRoot, 'daemon', 'contract', 'context-change.schema.json'),
  true,
);
/** Errors against daemon/contract/count.schema.json (checked strictly: the schema is ours). */
export const countErrors = compile(join(repoRoot, 'daemon', 'contract', 'count.schema.json'), true);
/** Errors against daemon/contract/where-question.schema.json (checked strictly: the schema is ours). */
export const whereQuestionErrors = compile(
  join(repoRoot, 'daemon', 'contract', 'where-question.schema.json'),
  true,
);
/** Errors against daemon/contract/where-answer.schema.json (checked strictly: the schema is ours). */
export const whereAnswerErrors = compile(
  join(repoRoot, 'daemon', 'contract', 'where-answer.schema.json'),
  true,
);
