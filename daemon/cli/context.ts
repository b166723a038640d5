/**
 * `readpoint context set|clear|show`: a read point's transaction context, through the running
 * daemon's control socket. `show` also answers with the daemon stopped, from the inventory store;
 * `set` and `clear` need the daemon (a change is recorded in its outbox for upstream).
 * Exit 0 done; 1 cannot (no daemon for set/clear, refused, an invalid config); 64 wrong options.
 */
import { resolve } from 'node:path';
import { ConfigError, formatProblem, loadConfig } from '../../config/load.js';
import type { ContextView } from '../inventory/context/context-change.js';
import { askDaemon, ControlRefused, DaemonNotRunning } from '../inventory/control-client.js';
import { EXIT } from './exit-codes.js';

export interface ContextCliOptions {
  readonly config: string;
  readonly json?: boolean;
  readonly tx?: string[];
  readonly source?: string[];
  readonly destination?: string[];
  readonly expires?: string;
}

const say = (line: string) => process.stderr.write(`readpoint context: ${line}\n`);

async function dataDirOf(configFile: string): Promise<string | undefined> {
  try {
    return resolve((await loadConfig(configFile)).dataDir);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) process.stderr.write(`${formatProblem(p)}\n`);
    say(`cannot read the dataDir from ${configFile}: fix it (readpoint check --config ${configFile})`);
    return undefined;
  }
}

/** `type=uri` pairs of --tx, --source, --destination; a bare URI for an untyped transaction. */
export function pairs<K extends string>(values: readonly string[] | undefined, key: K, typed: boolean) {
  return (values ?? []).map((text) => {
    const at = text.indexOf('=');
    if (at < 0 && typed) throw new Error(`"${text}" is not TYPE=URI (e.g. owning_party=urn:epc:id:pgln:...)`);
    return at < 0
      ? ({ [key]: text } as Record<K, string>)
      : ({ type: text.slice(0, at), [key]: text.slice(at + 1) } as Record<K | 'type', string>);
  });
}

/** `8h`, `30m`, `2d` from now, or an ISO date-time as it is. */
export function expiresText(text: string, now = Date.now()): string {
  const m = /^(\d{1,6})([smhd])$/.exec(text);
  if (!m) return text;
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return new Date(now + Number(m[1]) * unit).toISOString();
}

function lines(contexts: Record<string, ContextView>): string {
  const out: string[] = [];
  for (const [point, c] of Object.entries(contexts)) {
    const what = [
      ...(c.bizTransactionList ?? []).map((t) => `${t.type ?? 'transaction'} ${t.bizTransaction}`),
      ...(c.sourceList ?? []).map((s) => `source ${s.type} ${s.source}`),
      ...(c.destinationList ?? []).map((d) => `destination ${d.type} ${d.destination}`),
    ];
    const from = c.by === 'scan' && c.reader ? `scan on ${c.reader}` : c.by;
    out.push(`${point}  since ${c.since} (${from})${c.expires ? `  until ${c.expires}` : ''}`);
    for (const w of what) out.push(`  ${w}`);
  }
  return out.length === 0 ? 'no context is active\n' : `${out.join('\n')}\n`;
}

export async function contextCommand(
  verb: 'set' | 'clear' | 'show',
  readPoint: string | undefined,
  o: ContextCliOptions,
): Promise<number> {
  const dataDir = await dataDirOf(o.config);
  if (dataDir === undefined) return EXIT.badConfig;
  let args: Record<string, unknown> = readPoint === undefined ? {} : { readPoint };
  if (verb === 'set') {
    try {
      const tx = pairs(o.tx, 'bizTransaction', false);
      const source = pairs(o.source, 'source', true);
      const destination = pairs(o.destination, 'destination', true);
      args = {
        ...args,
        ...(tx.length ? { bizTransactionList: tx } : {}),
        ...(source.length ? { sourceList: source } : {}),
        ...(destination.length ? { destinationList: destination } : {}),
        ...(o.expires !== undefined ? { expires: expiresText(o.expires) } : {}),
      };
    } catch (err) {
      say((err as Error).message);
      return EXIT.usage;
    }
  }
  let answer: unknown;
  try {
    answer = await askDaemon(dataDir, `context.${verb}`, args);
  } catch (err) {
    if (err instanceof DaemonNotRunning && verb === 'show') answer = await storedContexts(dataDir, readPoint);
    else if (err instanceof DaemonNotRunning) {
      say(`${err.message}: a context is ${verb === 'set' ? 'set' : 'cleared'} through the running daemon`);
      return EXIT.badConfig;
    } else if (err instanceof ControlRefused) {
      say(err.message);
      return EXIT.badConfig;
    } else throw err;
  }
  if (verb === 'clear') {
    const cleared = (answer as { cleared?: boolean }).cleared === true;
    process.stdout.write(
      o.json ? `${JSON.stringify(answer)}\n` : cleared ? 'cleared\n' : 'no context was active\n',
    );
    return EXIT.ok;
  }
  const contexts = answer as Record<string, ContextView>;
  process.stdout.write(o.json ? `${JSON.stringify(contexts)}\n` : lines(contexts));
  return EXIT.ok;
}

/** The contexts kept in the inventory store of a stopped daemon (read from a copy: it is not touched). */
async function storedContexts(
  dataDir: string,
  readPoint: string | undefined,
): Promise<Record<string, ContextView>> {
  const { InventorySnapshot } = await import('../inventory/inventory-snapshot.js');
  const store = await InventorySnapshot.open(dataDir);
  if (!store) return {}; // a gateway that never ran has no store
  try {
    const out: Record<string, ContextView> = {};
    for await (const [point, text] of store.part('context').iterator()) {
      if (readPoint !== undefined && point !== readPoint) continue;
      const stored = JSON.parse(text) as { active?: ContextView };
      const expired = stored.active?.expires !== undefined && Date.parse(stored.active.expires) <= Date.now();
      if (stored.active && !expired) out[point] = stored.active;
    }
    return out;
  } finally {
    await store.close();
  }
}
