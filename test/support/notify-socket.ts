/**
 * A notify socket as systemd holds one, for tests. Node cannot open a unix datagram socket, so
 * a small perl receiver (perl-base is part of every Debian) binds it and prints each datagram
 * as a line, newlines shown as `|`. It drops the file descriptor systemd-notify passes for its
 * barrier, so each run of the tool ends as soon as its message is read, as under systemd.
 * Every run sends its own `BARRIER=1` datagram after the message.
 */
import { type ChildProcess, spawn } from 'node:child_process';

const RECEIVER = [
  'use Socket;',
  'socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!";',
  'bind($s, pack_sockaddr_un($ARGV[0])) or die "bind: $!";',
  '$| = 1; print "LISTENING\\n";',
  'while (defined(recv($s, my $m, 65536, 0))) { $m =~ s/\\n/|/g; print "$m\\n"; }',
].join(' ');

export interface Arrival {
  readonly line: string;
  readonly at: number;
}

/** A notify socket as systemd would hold it, with every datagram it received, in order. */
export class NotifySocket {
  readonly arrivals: Arrival[] = [];
  private waiters: (() => void)[] = [];

  private constructor(
    readonly path: string,
    private readonly child: ChildProcess,
  ) {}

  static open(path: string): Promise<NotifySocket> {
    const child = spawn('perl', ['-e', RECEIVER, path], { stdio: ['ignore', 'pipe', 'pipe'] });
    const socket = new NotifySocket(path, child);
    return new Promise((resolve, reject) => {
      let buffered = '';
      let stderr = '';
      let listening = false;
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      child.on('error', reject);
      child.on('exit', (code) => {
        if (!listening) reject(new Error(`perl receiver exited ${code}: ${stderr}`));
      });
      child.stdout?.on('data', (d: Buffer) => {
        buffered += d.toString();
        let nl = buffered.indexOf('\n');
        while (nl >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (!listening && line === 'LISTENING') {
            listening = true;
            resolve(socket);
          } else {
            socket.arrivals.push({ line, at: performance.now() });
            for (const wake of socket.waiters.splice(0)) wake();
          }
          nl = buffered.indexOf('\n');
        }
      });
    });
  }

  /** The datagrams received, barriers left out. */
  messages(): string[] {
    return this.arrivals.map((a) => a.line).filter((l) => l !== 'BARRIER=1');
  }

  /** Resolves once `done` holds for the datagrams received; rejects after timeoutMs. */
  async until(done: (s: NotifySocket) => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!done(this)) {
      const left = deadline - performance.now();
      if (left <= 0)
        throw new Error(`timed out waiting for ${what}; received: ${JSON.stringify(this.arrivals)}`);
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          wake();
        });
      });
    }
  }

  close(): void {
    this.child.kill('SIGTERM');
  }
}
