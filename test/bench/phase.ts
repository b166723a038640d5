/**
 * One bench phase in a process of its own, so that its memory and CPU figures are its own work's:
 * `node dist/test/bench/phase.js gateway|raw-mqtt|latency|backlog|identity|rfid|replay|unit-memory|hold-index|hold-load|pty-gateway|serial-flow|node-red|where|console '<options as JSON>'`
 * prints the result as one JSON line on stdout (or `{"error": "..."}` and exits 1). run.ts starts
 * it (spawn-phase.ts).
 */
import { fileURLToPath } from 'node:url';

async function run(phase: string | undefined, options: Record<string, number>): Promise<unknown> {
  switch (phase) {
    case 'gateway':
      return (await import('./gateway.js')).benchGateway(options as never);
    case 'raw-mqtt':
      return (await import('./mqtt.js')).rawMqttPhase(options as never);
    case 'latency':
      return (await import('./latency.js')).benchLatency(options as never);
    case 'backlog':
      return (await import('./backlog.js')).benchBacklog(options as never);
    case 'identity':
      return (await import('./identity.js')).benchIdentity();
    case 'rfid':
      return (await import('./rfid.js')).benchRfid(options as never);
    case 'pty-gateway':
      return (await import('./pty-lines.js')).benchPtyGateway(options as never);
    case 'serial-flow':
      return (await import('./serial-flow.js')).benchSerialFlow(options as never);
    case 'node-red':
      return (await import('./node-red.js')).benchNodeRed(options as never);
    case 'console':
      return (await import('./console.js')).benchConsole(options as never);
    case 'hold-index':
      return (await import('./holds.js')).benchHoldIndex(options as never);
    case 'hold-load':
      return (await import('./holds.js')).benchHoldLoad(options as never);
    case 'replay':
      return (await import('./replay.js')).benchReplay(options as never);
    case 'where':
      return (await import('./where.js')).benchWhere(options as never);
    case 'unit-memory':
      return (await import('./rfid.js')).benchUnitMemory(options.units ?? 100_000);
    default:
      return undefined;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [phase, json] = process.argv.slice(2);
  const options = JSON.parse(json ?? '{}');
  let result: unknown;
  try {
    result = await run(phase, options);
  } catch (err) {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.stdout.write(`${JSON.stringify({ error: (err as Error).message ?? String(err) })}\n`);
    process.exit(1);
  }
  if (!result) {
    process.stderr.write(
      `usage: phase.js gateway|raw-mqtt|latency|backlog|identity|rfid|replay|unit-memory|hold-index|hold-load|pty-gateway|serial-flow|node-red|where|console '<options as JSON>'\n`,
    );
    process.exit(64);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}
