/**
 * Standing warnings: settings that knowingly weaken the gateway's security (an anonymous broker
 * beyond loopback, an uplink that does not verify its broker's certificate), or that the gateway
 * cannot keep (a memory budget larger than its process may use). Each is logged when it takes
 * effect and stays in every health report while it holds, so a reviewer sees it upstream, not only
 * in a journal on the floor. The inventory features add their own beside these while they hold
 * (hold lists past their index's limit): `InventoryFeature.warnings`.
 */
export class Warnings {
  private readonly byKey = new Map<string, string>();

  /** Sets (text) or clears (undefined) the warning under `key`, e.g. `broker.anonymous`. */
  set(key: string, text: string | undefined): void {
    if (text === undefined) this.byKey.delete(key);
    else this.byKey.set(key, text);
  }

  /** The warnings in force, ordered by key so reports compare stably. */
  list(): string[] {
    return [...this.byKey.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, text]) => text);
  }
}
