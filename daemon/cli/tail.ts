import mqtt from 'mqtt';

/**
 * `readpoint tail`: subscribes and prints each message's payload on one line (events are JSON, so
 * the output pipes into jq or an EPCIS validator). Runs until interrupted, or until `count`
 * messages were printed.
 */
export async function tailCommand(
  url: string,
  filter: string,
  opts: { count?: number; topic?: boolean },
): Promise<number> {
  const client = mqtt.connect(url, { reconnectPeriod: 1000, connectTimeout: 5000 });
  let printed = 0;
  client.on('connect', () => {
    client.subscribe(filter, { qos: 1 }, (err) => {
      if (err) process.stderr.write(`readpoint tail: cannot subscribe to ${filter}: ${err.message}\n`);
      else process.stderr.write(`readpoint tail: subscribed to ${filter} on ${url}\n`);
    });
  });
  client.on('error', (err) => process.stderr.write(`readpoint tail: ${err.message}\n`));
  return new Promise((resolve) => {
    const done = (code: number) => client.end(false, {}, () => resolve(code));
    client.on('message', (topic, payload) => {
      const line = payload.toString('utf8').replace(/\n/g, ' ');
      process.stdout.write(opts.topic ? `${topic} ${line}\n` : `${line}\n`);
      printed++;
      if (opts.count !== undefined && printed >= opts.count) done(0);
    });
    process.once('SIGINT', () => done(0));
    process.once('SIGTERM', () => done(0));
  });
}
