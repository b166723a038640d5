/**
 * A gateway's retained status and health when its uplink lists several broker nodes. On a
 * cluster, retained messages stay on the node they were published to (RabbitMQ does this), so
 * every node is asked at once and the newest health report wins, with the status kept beside it
 * on the same node. Unreachable only when no node answers.
 */
import type mqtt from 'mqtt';

/** What one broker holds for a gateway: its retained status and health, or why it could not say. */
export type Retained =
  | { readonly ok: true; readonly status?: string; readonly health?: string }
  | { readonly ok: false; readonly problem: string };

type Query = (
  url: string,
  connect: mqtt.IClientOptions,
  wanted: { readonly status: string; readonly health: string },
  timeoutMs: number,
) => Promise<Retained>;

/** The time of a retained health report, or -Infinity when it has none readable. */
function reportTime(health: string | undefined): number {
  if (health === undefined) return Number.NEGATIVE_INFINITY;
  try {
    const t = Date.parse((JSON.parse(health) as { time?: unknown }).time as string);
    return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
  } catch {
    return Number.NEGATIVE_INFINITY; // not JSON: the caller says what is wrong with it
  }
}

export async function retainedOnNodes(
  urls: readonly string[],
  connect: mqtt.IClientOptions,
  wanted: { readonly status: string; readonly health: string },
  timeoutMs: number,
  query: Query,
): Promise<Retained> {
  const answers = await Promise.all(urls.map((url) => query(url, connect, wanted, timeoutMs)));
  let best: (Retained & { ok: true }) | undefined;
  for (const a of answers) {
    if (!a.ok) continue;
    if (best === undefined) best = a;
    else if (reportTime(a.health) > reportTime(best.health)) best = a;
    else if (best.health === undefined && best.status === undefined && a.status !== undefined) best = a;
  }
  if (best) return best;
  const problems = answers.map((a, i) => (a.ok ? '' : `node ${i}: ${a.problem}`)).filter(Boolean);
  return { ok: false, problem: `no broker node answered (${problems.join('; ')})` };
}
