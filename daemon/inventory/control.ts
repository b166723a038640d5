/**
 * The control seam: commands a local operator gives the running daemon (`readpoint holds`,
 * `readpoint where`, `readpoint context`), over a Unix socket in the data dir that only the
 * daemon's user can open (mode 0600): no network listener, no password to leak.
 *
 * Contract:
 * - `register(name, handler)` makes a command available; names are `<feature>.<verb>` (e.g.
 *   `holds.add`). A name registered twice is a programming error (throws).
 * - A request carries a command name and JSON arguments; the handler gets the arguments as
 *   untrusted input (validate them: a bad one throws an Error whose message is the answer) and
 *   resolves with a JSON-serialisable result.
 * - Requests are bounded (1 MiB a line; a longer one closes the connection with an error), and
 *   answered in the order asked on each connection.
 */

export type ControlHandler = (args: unknown) => Promise<unknown>;

export interface ControlCommands {
  register(name: string, handler: ControlHandler): void;
}
