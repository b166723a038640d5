import mqtt from 'mqtt';
import { DedupLines } from './tail-dedup.js';

export interface TailOptions {
  /** Exit after this many messages. */
  count?: number;
  /** Print the topic before each payload (without `dedup`). */
  topic?: boolean;
  /**
   * Consume as an upstream system must: drop duplicates by eventID, report gaps by sequence
   * number, read overflow notices on `overflowFilter` (see tail-dedup.ts).
   */
  dedup?: { window: number; json: boolean; overflowFilter: string };
}

/** The tail command's options as commander parses them. */
export interface TailCliOptions {
  url: string;
  topic: string;
  count?: number;
  withTopic?: boolean;
  dedup?: boolean;
  dedupWindow?: string;
  json?: boolean;
  overflowTopic?: string;
}

/** The command line's options checked, or what is wrong with them. */
export function tailOptions(o: TailCliOptions): TailOptions | string {
  const base: TailOptions = {
    ...(o.count !== undefined ? { count: o.count } : {}),
    ...(o.withTopic ? { topic: true } : {}),
  };
  if (!o.dedup) {
    if (o.dedupWindow !== undefined || o.json || o.overflowTopic !== undefined)
      return '--dedup-window, --json and --overflow-topic go with --dedup';
    return base;
  }
  const window = Number(o.dedupWindow ?? 100_000);
  if (!Number.isSafeInteger(window) || window < 1)
    return `--dedup-window must be a positive integer, got ${o.dedupWindow}`;
  const overflowFilter = o.overflowTopic ?? overflowFilterFor(o.topic);
  if (!overflowFilter) return `cannot derive the overflow topic from ${o.topic}: give --overflow-topic`;
  return { ...base, dedup: { window, json: o.json === true, overflowFilter } };
}

/** The overflow filter beside an events filter: `<...>/events/<x>` -> `<...>/overflow`. */
export function overflowFilterFor(eventsFilter: string): string | undefined {
  const m = /^(.+)\/events\/[^/]+$/.exec(eventsFilter);
  return m ? `${m[1]}/overflow` : undefined;
}

/**
 * `readpoint tail`: subscribes and prints each message's payload on one line (events are JSON, so
 * the output pipes into jq or an EPCIS validator). Runs until interrupted, or until `count`
 * messages were printed. With `dedup`, prints one line per verdict instead and a summary at the
 * end; exits 1 if gaps that no overflow notice explains are still open then.
 */
export async function tailCommand(url: string, filter: string, opts: TailOptions): Promise<number> {
  const client = mqtt.connect(url, { reconnectPeriod: 1000, connectTimeout: 5000 });
  const filters = opts.dedup ? [filter, opts.dedup.overflowFilter] : [filter];
  const lines = opts.dedup ? new DedupLines(opts.dedup) : undefined;
  const problem = (line: string) => process.stderr.write(`${line}\n`);
  let received = 0;
  client.on('connect', () => {
    client.subscribe(filters, { qos: 1 }, (err, granted) => {
      const refused = granted?.filter((g) => g.qos > 2).map((g) => g.topic) ?? [];
      if (err || refused.length > 0)
        problem(
          `readpoint tail: cannot subscribe to ${err ? filters.join(' ') : refused.join(' ')}: ${err?.message ?? 'refused by the broker'}`,
        );
      else problem(`readpoint tail: subscribed to ${filters.join(' and ')} on ${url}`);
    });
  });
  client.on('error', (err) => problem(`readpoint tail: ${err.message}`));
  return new Promise((resolve) => {
    let ended = false;
    const done = () => {
      if (ended) return;
      ended = true;
      let code = 0;
      if (lines) {
        process.stdout.write(`${lines.summaryLine()}\n`);
        if (lines.summary().unexplained > 0) code = 1;
      }
      client.end(false, {}, () => resolve(code));
    };
    client.on('message', (topic, payload) => {
      if (ended) return;
      if (lines) {
        for (const line of lines.message(topic, payload, problem)) process.stdout.write(`${line}\n`);
      } else {
        const line = payload.toString('utf8').replace(/\n/g, ' ');
        process.stdout.write(opts.topic ? `${topic} ${line}\n` : `${line}\n`);
      }
      received++;
      if (opts.count !== undefined && received >= opts.count) done();
    });
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}
