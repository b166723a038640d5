/** The embedded broker's limits with every default filled in, for a broker started without a config section. */
import type { BrokerLimitsConfig } from './broker-limits.js';
import { validateBrokerLimits } from './validators.js';

/** The limits given, the rest from the schema's defaults (config/broker-limits.ts); a value out of range throws. */
export function brokerLimits(given: Partial<BrokerLimitsConfig> = {}): BrokerLimitsConfig {
  const limits = { ...given };
  if (!validateBrokerLimits(limits)) {
    const [first] = validateBrokerLimits.errors ?? [];
    throw new RangeError(
      `broker limits: ${first?.instancePath.slice(1) || '(root)'} ${first?.message ?? 'invalid'}`,
    );
  }
  return Object.freeze(limits as BrokerLimitsConfig);
}
