/**
 * Config edges an attacker (or a careless edit) reaches through the one YAML file: a network
 * reader whose topic lies in the gateway's own topic space, a config file too large to read, a
 * billion-laughs file. Each is refused with exit 1 (not exit 2, which systemd restarts every 5 s)
 * and a position, by `check`, `run`, a live reload (SIGHUP) and the commands that read a config.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CONFIG_BYTES } from '../../config/limits.js';
import { cliPath, type DaemonProcess, startDaemon } from '../support/daemon.js';
import { freePort } from '../support/mosquitto.js';

const cli = (args: string[]) =>
  spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 30_000 });

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rp-config-edges-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A gateway with its embedded broker as its uplink and one network reader publishing to `topic`. */
function gatewayYaml(port: number, topic: string | undefined, extra = ''): string {
  return `gateway: { id: gw-1, site: site-1 }
dataDir: ${join(dir, 'data')}
broker: { enabled: true, host: 127.0.0.1, port: ${port} }
uplink:
  retry: { minMs: 100, maxMs: 1000 }
${extra}readPoints:
  - { id: dock-1, bizStep: receiving }
readers:
  - id: dock-r700
    driver: impinj-r700
    readPoint: dock-1
    username: dock-r700
    password: reader-secret
${topic === undefined ? '' : `    topic: ${topic}\n`}`;
}

function writeConfig(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** `run` as a child process, resolved with its exit code and what it wrote. */
function runToExit(file: string): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, [cliPath, 'run', '--config', file], { stdio: 'pipe' });
  children.add(child);
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr, stdout })));
}

/** Nine levels of nine aliases: 9^9 values once expanded, from 340 bytes. */
const LAUGHS = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...'bcdefghi'.split('').map((k, i) => {
    const prev = 'abcdefghi'[i]!;
    return `${k}: &${k} [${Array(9).fill(`*${prev}`).join(',')}]`;
  }),
  '',
].join('\n');

describe('a network reader topic in the gateway topic space', () => {
  const overlapping: [string, string, string][] = [
    // reader topic, the gateway topic it collides with, what it is
    ['readpoint/v1/site-1/gw-1/events/dock-1', 'readpoint/v1/site-1/gw-1/events/+', 'an events topic'],
    ['readpoint/v1/site-1/gw-1/status', 'readpoint/v1/site-1/gw-1/status', 'the status topic'],
    ['readpoint/v1/site-1/gw-1/health', 'readpoint/v1/site-1/gw-1/health', 'the health topic'],
    ['readpoint/v1/site-1/gw-1/rejects', 'readpoint/v1/site-1/gw-1/rejects', 'the rejects topic'],
    ['readpoint/v1/site-1/gw-1/overflow', 'readpoint/v1/site-1/gw-1/overflow', 'the overflow topic'],
    ['readpoint/v1/site-1/gw-1/summary', 'readpoint/v1/site-1/gw-1/summary', 'the summary topic'],
    ['readpoint/v1/site-1/gw-1/events/dock-1/x', 'readpoint/v1/site-1/gw-1/#', 'below an events topic'],
    ['readpoint/v1/site-1/gw-1/tags', 'readpoint/v1/site-1/gw-1/#', 'a new topic under the gateway'],
    ['readpoint/v1/site-1/gw-1', 'readpoint/v1/site-1/gw-1/#', 'the gateway level itself'],
    ['readpoint/v1/site-1', 'readpoint/v1/site-1/gw-1/#', 'a level above the gateway'],
  ];
  it.each(overlapping)('check refuses %s (%s, %s) with exit 1', (topic, gatewayTopic) => {
    const file = writeConfig('overlap.yaml', gatewayYaml(1883, topic));
    const r = cli(['check', '--config', file]);
    expect(r.stdout).toContain('readers[0].topic');
    expect(r.stdout).toContain('dock-r700');
    expect(r.stdout).toContain(topic);
    expect(r.stdout).toContain(gatewayTopic);
    expect(r.stdout).toMatch(/^.*overlap\.yaml:14:\d+ readers\[0\]\.topic: /m);
    expect(r.status).toBe(1);
  });

  it('check still takes a topic beside the gateway space, and the default reader topic', () => {
    for (const topic of [
      'readpoint/v1/site-1/gw-10/x',
      'readpoint/v1/site-1/gw-1x',
      'floor/readers/dock',
      undefined,
    ]) {
      const r = cli(['check', '--config', writeConfig('beside.yaml', gatewayYaml(1883, topic))]);
      expect(r.stdout, String(topic)).toMatch(/valid \(1 reader\(s\), 1 read point\(s\)\)/);
      expect(r.status, String(topic)).toBe(0);
    }
  });

  it('follows uplink.topicPrefix and the default reader topic into the gateway space', () => {
    // Site "readers" and gateway "dock-r700" put readpoint/v1/readers/dock-r700/tags in its space.
    const text = gatewayYaml(1883, undefined)
      .replace('site: site-1', 'site: readers')
      .replace('id: gw-1', 'id: dock-r700');
    const r = cli(['check', '--config', writeConfig('default-topic.yaml', text)]);
    expect(r.stdout).toContain('readpoint/v1/readers/dock-r700/tags');
    expect(r.stdout).toContain('readpoint/v1/readers/dock-r700/#');
    expect(r.status).toBe(1);
    const prefixed = gatewayYaml(1883, 'plant/a/site-1/gw-1/events/dock-1', '  topicPrefix: plant/a\n');
    const p = cli(['check', '--config', writeConfig('prefix.yaml', prefixed)]);
    expect(p.stdout).toContain('plant/a/site-1/gw-1/events/+');
    expect(p.status).toBe(1);
  });

  it('run refuses to start with exit 1', { timeout: 20_000 }, async () => {
    const port = await freePort();
    const file = writeConfig('run-overlap.yaml', gatewayYaml(port, 'readpoint/v1/site-1/gw-1/events/dock-1'));
    const r = await runToExit(file);
    expect(r.stderr).toContain('readpoint/v1/site-1/gw-1/events/+');
    expect(r.stderr).toMatch(/is invalid \(1 problem\(s\)\); not starting/);
    expect(r.code).toBe(1);
  });

  describe('a live reload', () => {
    let daemon: DaemonProcess | undefined;
    let port: number;
    beforeAll(async () => {
      port = await freePort();
      daemon = startDaemon(writeConfig('reload.yaml', gatewayYaml(port, 'floor/readers/dock')));
      await daemon.waitForLog((l) => l.msg === 'readpoint running');
    });
    afterAll(async () => {
      await daemon?.kill('SIGKILL');
    });

    it('refuses a reload that moves a reader into the gateway topic space and keeps running', async () => {
      if (!daemon) throw new Error('no daemon');
      writeConfig('reload.yaml', gatewayYaml(port, 'readpoint/v1/site-1/gw-1/status'));
      const since = daemon.logs.length;
      daemon.child.kill('SIGHUP');
      const line = await daemon.waitForLog((l) => l.msg.startsWith('configuration reload'), 20_000, since);
      expect(line.msg).toMatch(/^configuration reload failed: .*reload\.yaml is invalid/);
      expect(line.msg).toContain('dock-r700');
      expect(line.msg).toContain('readpoint/v1/site-1/gw-1/status');
      expect(daemon.child.exitCode).toBe(null);
    });

    it('refuses a reload of a billion-laughs file or one over the size limit, with a position, and keeps running', async () => {
      const reloadOf = async (write: () => void) => {
        write();
        const since = daemon!.logs.length;
        daemon!.child.kill('SIGHUP');
        return (await daemon!.waitForLog((l) => l.msg.startsWith('configuration reload'), 20_000, since)).msg;
      };
      const file = join(dir, 'reload.yaml');
      expect(await reloadOf(() => writeFileSync(file, LAUGHS))).toMatch(
        /^configuration reload failed: .*reload\.yaml is invalid.*: .*reload\.yaml:\d+:\d+ \S+: YAML: aliases expand to more than 100000 values/,
      );
      expect(
        await reloadOf(() => {
          writeFileSync(file, '# padding\n');
          truncateSync(file, MAX_CONFIG_BYTES + 1);
        }),
      ).toContain(`reload.yaml:1:1 (root): cannot read the file: it is ${MAX_CONFIG_BYTES + 1} bytes`);
      expect(daemon!.child.exitCode).toBe(null);
    });
  });
});

describe('a config file over the size limit', () => {
  it('is refused by check with exit 1, naming the limit, without being parsed', () => {
    const file = writeConfig('large.yaml', '# padding\n');
    truncateSync(file, MAX_CONFIG_BYTES + 1);
    const r = cli(['check', '--config', file]);
    expect(r.stdout).toBe(
      `${file}:1:1 (root): cannot read the file: it is ${MAX_CONFIG_BYTES + 1} bytes, larger than a configuration may be (${MAX_CONFIG_BYTES} bytes, 256 KiB)\n`,
    );
    expect(r.status).toBe(1);
  });

  it('is refused from a pipe, read no further than the limit', async () => {
    const fifo = join(dir, 'config.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const child = spawn(process.execPath, [cliPath, 'check', '--config', fifo], { stdio: 'pipe' });
    children.add(child);
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    // More than the limit; the reader stops early, so the rest of the write may fail (EPIPE).
    const writer = createWriteStream(fifo);
    writer.on('error', () => {});
    writer.end(`# ${'x'.repeat(MAX_CONFIG_BYTES * 2)}\n`);
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(stdout).toBe(
      `${fifo}:1:1 (root): cannot read the file: it is more than ${MAX_CONFIG_BYTES} bytes, larger than a configuration may be (${MAX_CONFIG_BYTES} bytes, 256 KiB)\n`,
    );
    expect(code).toBe(1);
  });

  it('is taken at exactly the limit (then judged by its content)', () => {
    const valid = gatewayYaml(1883, 'floor/readers/dock');
    const file = writeConfig(
      'at-limit.yaml',
      `${valid}#${'x'.repeat(MAX_CONFIG_BYTES - valid.length - 2)}\n`,
    );
    const r = cli(['check', '--config', file]);
    expect(r.stdout).toMatch(/valid \(1 reader\(s\)/);
    expect(r.status).toBe(0);
  });

  it('is refused by run with exit 1', async () => {
    const file = writeConfig('large-run.yaml', '# padding\n');
    truncateSync(file, MAX_CONFIG_BYTES + 1);
    const r = await runToExit(file);
    expect(r.stderr).toContain(`larger than a configuration may be (${MAX_CONFIG_BYTES} bytes, 256 KiB)`);
    expect(r.code).toBe(1);
  });
});

describe('a billion-laughs config', () => {
  it('is refused by check with exit 1 and the position of the alias that expands too far', () => {
    const file = writeConfig('laughs.yaml', LAUGHS);
    const r = cli(['check', '--config', file]);
    expect(r.stdout).toMatch(
      /^.*laughs\.yaml:(\d+):(\d+) [a-z]+(\[\d+\])?: YAML: aliases expand to more than 100000 values/m,
    );
    const [, line] = /laughs\.yaml:(\d+):/.exec(r.stdout)!;
    expect(Number(line)).toBeGreaterThan(1);
    expect(r.status).toBe(1);
  });

  it('is refused by run with exit 1, not exit 2', async () => {
    const r = await runToExit(writeConfig('laughs-run.yaml', LAUGHS));
    expect(r.stderr).toMatch(/laughs-run\.yaml:\d+:\d+ .*aliases expand to more than 100000 values/);
    expect(r.code).toBe(1);
  });

  it('is a clear error for tail --config and status --config (usage error, never a crash)', () => {
    const file = writeConfig('laughs-tail.yaml', LAUGHS);
    for (const command of ['tail', 'status']) {
      const r = cli([command, '--config', file]);
      expect(r.stderr, command).toMatch(
        /laughs-tail\.yaml:\d+:\d+ .*aliases expand to more than 100000 values/,
      );
      expect(r.status, command).toBe(64);
    }
  });

  it('takes a config that shares a value by an alias', () => {
    const text = gatewayYaml(1883, 'floor/readers/dock').replace(
      '  - { id: dock-1, bizStep: receiving }\n',
      '  - { id: dock-1, bizStep: &step receiving }\n  - { id: dock-2, bizStep: *step }\n',
    );
    const r = cli(['check', '--config', writeConfig('alias.yaml', text)]);
    expect(r.stdout).toMatch(/valid \(1 reader\(s\), 2 read point\(s\)\)/);
    expect(r.status).toBe(0);
  });
});
