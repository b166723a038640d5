/**
 * Dead-link detection for one uplink connection, tighter than mqtt.js's own.
 *
 * mqtt.js gives up 1.5 x keepalive after the broker's last packet (it pings after 1 x of silence
 * and checks every keepalive/2), so a link that goes silent just after a PUBACK is noticed a few
 * ms *after* 1.5 x keepalive from the stall (3,001 ms measured for keepalive 2 s). The watchdog:
 * - sends a PINGREQ once the broker has been silent for keepalive/4 (checked every keepalive/4),
 *   so a live broker has answered long before the verdict, even when nothing else flows;
 * - declares the link dead when the broker has been silent for keepalive AND a PINGREQ has gone
 *   unanswered for keepalive/2: at most 1.25 x keepalive after the broker's last packet;
 * - after a pause of this process (a blocked event loop), silence it caused is not held against
 *   the broker: the ping goes out late and the broker still gets keepalive/2 to answer;
 * - gives the socket one turn of the event loop (setImmediate runs after I/O) to deliver what
 *   already arrived before it judges.
 * A broker that takes longer than keepalive/2 to answer a PINGREQ counts as dead.
 *
 * mqtt.js's own keepalive timer is told the broker is there once per check in which it was heard,
 * not on every PUBACK (`reschedulePings: false` spares a timer re-arm per event): so it still
 * gives up no sooner than 1.5 x keepalive after the broker's last packet, behind the watchdog.
 */
import type { MqttClient } from 'mqtt';

/**
 * Watches one connected mqtt.js client: every packet it receives counts as the broker being there.
 * `dead` gets the error to report (`Keepalive timeout: ...`); the caller drops the connection.
 */
export function watchLink(client: MqttClient, keepaliveS: number, dead: (err: Error) => void): LinkWatchdog {
  const watchdog = new LinkWatchdog(
    keepaliveS * 1000,
    () => client.sendPing(),
    (silentMs) =>
      dead(
        new Error(`Keepalive timeout: nothing from the broker for ${silentMs} ms (keepaliveS ${keepaliveS})`),
      ),
    undefined,
    () => client.reschedulePing(true),
  );
  client.on('packetreceive', () => watchdog.heard());
  watchdog.start();
  return watchdog;
}

export class LinkWatchdog {
  private timer: NodeJS.Timeout | undefined;
  private judging: NodeJS.Immediate | undefined;
  private lastHeard = 0;
  private pingedAt: number | undefined;
  private heardSinceCheck = false;

  constructor(
    private readonly keepaliveMs: number,
    /** Sends a PINGREQ. */
    private readonly ping: () => void,
    /** Called once, when the link is judged dead; the watchdog is stopped by then. */
    private readonly dead: (silentMs: number) => void,
    private readonly now: () => number = () => performance.now(),
    /** Called at most once per check, when the broker was heard since the last one. */
    private readonly alive: () => void = () => {},
  ) {}

  start(): void {
    this.stop();
    this.heard();
    const every = Math.max(1, Math.floor(this.keepaliveMs / 4));
    this.timer = setInterval(() => this.check(), every);
    this.timer.unref();
  }

  /** A packet arrived from the broker. */
  heard(): void {
    this.lastHeard = this.now();
    this.pingedAt = undefined;
    this.heardSinceCheck = true;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.judging) clearImmediate(this.judging);
    this.judging = undefined;
  }

  private check(): void {
    if (this.heardSinceCheck) {
      this.heardSinceCheck = false;
      this.alive();
    }
    const now = this.now();
    if (this.pingedAt === undefined) {
      if (now - this.lastHeard >= this.keepaliveMs / 4) {
        this.pingedAt = now;
        this.ping();
      }
      return;
    }
    if (this.deadAt(now)) {
      this.judging ??= setImmediate(() => {
        this.judging = undefined;
        const at = this.now();
        if (!this.timer || !this.deadAt(at)) return;
        this.stop();
        this.dead(Math.round(at - this.lastHeard));
      });
    }
  }

  private deadAt(now: number): boolean {
    return (
      this.pingedAt !== undefined &&
      now - this.lastHeard >= this.keepaliveMs &&
      now - this.pingedAt >= this.keepaliveMs / 2
    );
  }
}
