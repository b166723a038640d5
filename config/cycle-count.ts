/**
 * The cycle counts' settings (`jobs.cycleCount`): which read points take stock of the units
 * present, when, and how far back a scan counts.
 */
import { Type as T } from '@sinclair/typebox';
import { Segment, Strict } from './reader-base.js';

/** URIs in one count event at most, of each list (present, appeared, missing), by default. */
export const DEFAULT_UNITS_PER_PART = 1000;

export const CycleCount = Strict(
  {
    readPoint: Segment('The read point counted (an id of readPoints).'),
    schedule: T.String({
      minLength: 9,
      maxLength: 120,
      description:
        'When to count: a cron expression, local time (5 fields, or 6 with seconds first), e.g. "0 */4 * * *".',
    }),
    windowS: T.Number({
      minimum: 0,
      maximum: 604800,
      default: 0,
      description:
        'Units with an event at the read point within this many seconds before the count are present too ' +
        '(a scan session at a barcode read point; tags read lately at an RFID one). 0: only the units in an ' +
        'open pass there now (RFID tags still being read).',
    }),
    maxUnits: T.Integer({
      minimum: 1,
      maximum: 1000000,
      default: 100000,
      description:
        'Most units one count lists; beyond it the count is marked truncated and reports nothing missing. ' +
        'Also the most units the scan session of the window keeps.',
    }),
    unitsPerPart: T.Integer({
      minimum: 1,
      maximum: 10000,
      default: DEFAULT_UNITS_PER_PART,
      description:
        'Most URIs one count event carries in each of its lists (present, appeared, missing); a larger ' +
        'count is published as numbered parts.',
    }),
  },
  'A cycle count: on its schedule, one EPCIS ObjectEvent (bizStep cycle_counting) on the counts topic ' +
    'listing the units present at the read point, with those that appeared and went missing since its ' +
    'last count.',
);
