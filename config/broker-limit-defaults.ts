/** The embedded broker's limits with every default filled in, for a broker started without a config section. */
import type { BrokerLimitsConfig } from './broker-limits.js';
import { validateBrokerLimits } from './validators.js';

/**
 * The limits given, the rest from the schema's defaults (config/broker-limits.ts). The values
 * given are taken as they are: a configuration's were checked, with their ranges, by the loader.
 */
export function brokerLimits(given: Partial<BrokerLimitsConfig> = {}): BrokerLimitsConfig {
  const limits = { ...given };
  // Run for its defaults: they are filled in whether or not a given value is within its range.
  validateBrokerLimits(limits);
  return Object.freeze(limits as BrokerLimitsConfig);
}
