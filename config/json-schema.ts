/**
 * The one schema (config/schema.ts) as plain JSON Schema: whole for editors, and split the way the
 * loader validates it (the top level, then each reader against its driver's own schema).
 */
import { BrokerLimits } from './broker-limits.js';
import { Config, Reader } from './schema.js';

const plain = <T>(schema: T): T => JSON.parse(JSON.stringify(schema));

/** The JSON Schema editors use (YAML language server), generated from the one schema. */
export function configJsonSchema(): object {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'readpoint configuration',
    ...plain(Config),
  };
}

/** The schema without the reader union: readers are checked one by one against their driver's schema. */
export function topLevelSchema(): object {
  const s = plain(Config) as { properties: { readers: { items: unknown } } };
  s.properties.readers.items = { type: 'object' };
  return s;
}

/** Each driver's reader schema, by the driver's name, in the schema's order. */
export function readerSchemas(): Map<string, object> {
  return new Map(
    (Reader.anyOf as { properties: { driver: { const: string } } }[]).map((b) => [
      b.properties.driver.const,
      plain(b),
    ]),
  );
}

/** The embedded broker's limits alone: their defaults fill a broker started without a config section. */
export function brokerLimitsSchema(): object {
  return plain(BrokerLimits);
}

/**
 * How the validators check: every mistake reported (not only the first), defaults filled in,
 * TypeBox's own keywords (patternErrorMessage) let through, and each error carrying its schema and
 * value, which config/problems.ts turns into sentences.
 */
export const VALIDATION = { allErrors: true, useDefaults: true, strict: false, verbose: true } as const;
