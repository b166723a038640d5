/**
 * Where a pack station's cases are kept across a restart, in the inventory store's `packing`
 * part: the open case's head (`head!<station>`), each unit packed in it (`unit!<station>!<case>!<unit
 * URI>`, so a scan writes a record or two, never the whole case) and the recent closed cases
 * (`closed!<station>!<case>`).
 *
 * The saves of a scan are written after the AggregationEvents it made are durable in the outbox:
 * a crash in between finds the case still open after the restart, and its next close repeats the
 * ADD (harmless: an ADD of units already in the case; a timeout close repeats even its eventID).
 * A case is never forgotten with its event lost. When an event could not be recorded at all (the
 * gateway stopping), nothing more is saved for the station: the restart takes up the state
 * before it.
 */
import type { InventoryPart } from '../inventory-store.js';
import type { ClosedCase, OpenCase, PackStation, Save } from './pack-station.js';

const caseKey = (caseNo: number) => String(caseNo).padStart(12, '0');

const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 4096;
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

export class StationStore {
  /** Writes in the order asked, each after the events of its scan are durable. */
  private chain: Promise<void> = Promise.resolve();
  /** Orders the units of a case as they were packed. */
  private nextIndex = 0;
  private stopped = false;

  constructor(
    private readonly part: InventoryPart,
    private readonly stationId: string,
  ) {}

  private head = () => `head!${this.stationId}`;
  private units = (caseNo: number) => `unit!${this.stationId}!${caseKey(caseNo)}!`;
  private closed = (caseNo: number) => `closed!${this.stationId}!${caseKey(caseNo)}`;

  /** Reads the station's saved cases into it (bounded); what cannot be read back is reported, not thrown. */
  async load(station: PackStation, maxChildren: number, keepClosed: number): Promise<string[]> {
    const problems: string[] = [];
    const closedFrom = `closed!${this.stationId}!`;
    let highest = 0;
    for await (const [key, value] of this.part.iterator({
      gte: closedFrom,
      lt: `closed!${this.stationId}"`,
      reverse: true,
      limit: keepClosed,
    })) {
      const caseNo = Number(key.slice(closedFrom.length));
      const saved = parse(value) as { parent?: unknown; children?: unknown } | undefined;
      const children = Array.isArray(saved?.children)
        ? saved.children.filter(isText).slice(0, maxChildren)
        : [];
      if (!isCount(caseNo) || !isText(saved?.parent)) {
        problems.push(`a saved closed case (${key}) could not be read back`);
        continue;
      }
      highest = Math.max(highest, caseNo);
      station.recent.push({ caseNo, parent: saved.parent, children: new Set(children) } satisfies ClosedCase);
    }
    const headText = await this.part.get(this.head());
    if (headText !== undefined) {
      const h = parse(headText) as Record<string, unknown> | undefined;
      if (h && isCount(h.caseNo) && isText(h.parent) && isCount(h.openedAt) && isCount(h.lastScanAt)) {
        const packed: [string, number][] = [];
        const from = this.units(h.caseNo);
        for await (const [key, value] of this.part.iterator({
          gte: from,
          lt: `${from.slice(0, -1)}"`,
          limit: maxChildren,
        }))
          packed.push([key.slice(from.length), Number(value)]);
        packed.sort((a, b) => a[1] - b[1]);
        this.nextIndex = packed.length > 0 ? packed[packed.length - 1]![1] + 1 : 0;
        const open: OpenCase = {
          caseNo: h.caseNo,
          parent: h.parent,
          openedAt: h.openedAt,
          lastScanAt: h.lastScanAt,
          children: new Set(packed.map(([unit]) => unit)),
        };
        station.open = open;
        highest = Math.max(highest, h.caseNo);
      } else problems.push('the saved open case could not be read back');
    }
    station.nextCaseNo = highest + 1;
    return problems;
  }

  /**
   * Writes `saves` (one batch) once `durable` resolves true. When it resolves false, this and
   * every later save of the station are skipped.
   */
  save(saves: readonly Save[], durable: Promise<boolean>): Promise<void> {
    const write = async () => {
      if (!(await durable)) this.stopped = true;
      if (this.stopped) return;
      const batch = this.part.batch();
      for (const s of saves) {
        switch (s.kind) {
          case 'head': {
            const { caseNo, parent, openedAt, lastScanAt } = s;
            batch.put(this.head(), JSON.stringify({ caseNo, parent, openedAt, lastScanAt }));
            break;
          }
          case 'pack':
            batch.put(this.units(s.caseNo) + s.unit, String(this.nextIndex++));
            break;
          case 'unpack':
            batch.del(this.units(s.caseNo) + s.unit);
            break;
          case 'shut':
            batch.del(this.head());
            for (const unit of s.units) batch.del(this.units(s.caseNo) + unit);
            break;
          case 'closed':
            batch.put(this.closed(s.caseNo), JSON.stringify({ parent: s.parent, children: s.children }));
            break;
          case 'forget':
            batch.del(this.closed(s.caseNo));
            break;
        }
      }
      await batch.write();
    };
    const next = this.chain.then(write);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Resolves once every save asked so far is done. */
  settled(): Promise<void> {
    return this.chain;
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
