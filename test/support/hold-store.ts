/**
 * A large hold list written straight into a data dir, as `readpoint holds import --config` leaves
 * it: for the bench's holds sections and for tests that run the daemon with a full list. Every
 * kind of entry is there (units, lots, serial ranges, GTINs, a company prefix), on the
 * simulator's own GTINs so that each kind is probed per event, and none holds a unit the
 * simulator makes.
 */
import { gtinCheckDigit } from '../../daemon/identity/epc-encode.js';
import { HoldBook } from '../../daemon/inventory/holds/hold-book.js';
import { type HoldEntry, parseHoldEntry } from '../../daemon/inventory/holds/hold-entry.js';
import { HoldIndex } from '../../daemon/inventory/holds/hold-index.js';
import { HoldLists } from '../../daemon/inventory/holds/hold-lists.js';
import { InventoryStore } from '../../daemon/inventory/inventory-store.js';

const simulatedGtin = (i: number) => {
  const gtin13 = `09506000${String(10000 + (i % 90)).slice(-5)}`;
  return `${gtin13}${gtinCheckDigit(gtin13)}`;
};

/** Entry `i` of the list: none holds a unit the simulator makes. */
export function benchEntry(i: number): HoldEntry {
  const gtin = simulatedGtin(i);
  const k = i % 20;
  if (k < 14) return parseHoldEntry({ unit: `https://id.gs1.org/01/${gtin}/21/HX${i}`, reference: 'R-1' });
  if (k < 18) return parseHoldEntry({ gtin, lot: `X${i}`, reason: 'recall', reference: `R-${i % 97}` });
  if (k < 19)
    return parseHoldEntry({
      gtin,
      serials: { from: String(900_000_000 + i * 10), to: String(900_000_000 + i * 10 + 9) },
    });
  if (i === 19) return parseHoldEntry({ epcPattern: 'urn:epc:idpat:sgtin:4012345.*.*' });
  const other = `040${String(i).padStart(10, '0')}`;
  return parseHoldEntry({ gtin: `${other}${gtinCheckDigit(other)}` });
}

/**
 * Writes entries 0..n-1 as the local hold list of a data dir (its inventory store), as a
 * daemon or `readpoint holds import --config` does: through an index, so the list's version
 * records the slots it takes.
 */
export async function writeHoldStore(dataDir: string, n: number): Promise<void> {
  const store = new InventoryStore(dataDir);
  await store.open();
  try {
    const lists = new HoldLists(new HoldBook(store.part('holds')), new HoldIndex());
    const chunk = 50_000;
    for (let i = 0; i < n; i += chunk)
      await lists.addLocal(
        Array.from({ length: Math.min(chunk, n - i) }, (_, j) => benchEntry(i + j)),
        i === 0,
      );
  } finally {
    await store.close();
  }
}
