/**
 * A client id belongs to its login. MQTT lets a new session with a taken client id put the old
 * one out; on the floor that would let anyone knock the uplink or a reader off the broker (and,
 * for the uplink, make it publish `offline`). So a client id held by a live session of one login
 * is refused to every other login, and the ids of the gateway's own session and of the readers'
 * sessions stay reserved for their login even while they are disconnected.
 */

/** A login as the client-id ledger knows it: `gateway`, `reader:<id>`, `consumer:<username>`, `anonymous`. */
export type LoginKey = string;

/** Ids kept per login: a reader that picks a new random id at each connect does not grow the ledger. */
const IDS_PER_LOGIN = 4;

export class ClientIds {
  private readonly reserved = new Map<string, LoginKey>();

  /** Keeps `clientId` for `login` from now on (until released); a login's oldest ids beyond a few are freed. */
  reserve(clientId: string, login: LoginKey): void {
    this.reserved.delete(clientId); // re-inserted last: the map's order is oldest first
    this.reserved.set(clientId, login);
    const mine = [...this.reserved].filter(([, owner]) => owner === login);
    for (const [id] of mine.slice(0, Math.max(0, mine.length - IDS_PER_LOGIN))) this.reserved.delete(id);
  }

  /** Frees every id reserved for `login` (a reader whose login was removed or changed). */
  release(login: LoginKey): void {
    for (const [id, owner] of this.reserved) if (owner === login) this.reserved.delete(id);
  }

  /**
   * Who may not have `clientId`: the login that reserved it, else the login of the live session
   * holding it; undefined when `login` may take it.
   */
  heldAgainst(clientId: string, login: LoginKey, live: LoginKey | undefined): LoginKey | undefined {
    const owner = this.reserved.get(clientId) ?? live;
    return owner !== undefined && owner !== login ? owner : undefined;
  }
}
