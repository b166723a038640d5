/** The real CLI, as a technician runs it: `node dist/daemon/cli/main.js ...`. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, startDaemon } from '../support/daemon.js';
import { gs1Errors, ownErrors, repoRoot } from '../support/schemas.js';

const cli = (args: string[], input?: string | Buffer) =>
  spawnSync(process.execPath, [cliPath, ...args], {
    encoding: 'utf8',
    ...(input !== undefined ? { input } : {}),
    timeout: 30_000,
  });

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rp-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The demo config on a free port and a private data dir. */
function demoConfig(name: string): string {
  const file = join(dir, `${name}.yaml`);
  const text = readFileSync(join(repoRoot, 'config', 'demo.yaml'), 'utf8')
    .replace(/port: 1883/, 'port: 0')
    .replace(/dataDir: .*/, `dataDir: ${join(dir, `${name}-data`)}`);
  writeFileSync(file, text);
  return file;
}

describe('readpoint --help', () => {
  it('lists every command of the contract', () => {
    const r = cli(['--help']);
    expect(r.status).toBe(0);
    for (const command of [
      'run',
      'check',
      'decode',
      'ports',
      'tail',
      'status',
      'outbox',
      'simulate',
      'record',
      'replay',
    ])
      expect(r.stdout).toMatch(new RegExp(`\\n\\s+${command}\\b`));
  });

  it('gives every command an example in its help', () => {
    for (const command of [
      ['run'],
      ['check'],
      ['decode'],
      ['ports'],
      ['tail'],
      ['status'],
      ['outbox', 'stats'],
      ['outbox', 'export'],
      ['simulate'],
      ['record'],
      ['replay'],
    ]) {
      const r = cli([...command, '--help']);
      expect(r.status, command.join(' ')).toBe(0);
      expect(r.stdout, command.join(' ')).toMatch(/\nExamples?:\n(\s+.+\n)*?\s+(npx )?readpoint /);
    }
  });

  it('answers an unknown command with a usage error', () => {
    const r = cli(['frobnicate']);
    expect(r.status).toBe(64);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });

  it('answers a usage error with one line saying what was wrong and a hint, not the whole help', () => {
    for (const [args, said, hint] of [
      [['frobnicate'], "error: unknown command 'frobnicate'", "run 'readpoint --help' for the commands"],
      [
        ['decode', '--bogus'],
        "error: unknown option '--bogus'",
        "run 'readpoint decode --help' for the options",
      ],
      [
        ['decode', '--reader-format', 'barcode', 'x'],
        "error: option '-f, --reader-format <format>' argument 'barcode' is invalid. Allowed choices are aim, gs1, digital-link, epc, text.",
        "run 'readpoint decode --help' for the options",
      ],
      [
        ['check'],
        "error: required option '-c, --config <file>' not specified",
        "run 'readpoint check --help' for the options",
      ],
      [
        ['outbox', 'stats', '--bogus'],
        "error: unknown option '--bogus'",
        "run 'readpoint outbox stats --help' for the options",
      ],
    ] as const) {
      const r = cli([...args]);
      expect(r.status, args.join(' ')).toBe(64);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr, args.join(' ')).toBe(`${said}\n(${hint})\n`);
    }
  });
});

describe('readpoint check', () => {
  it('accepts the demo and the example configs', () => {
    expect(cli(['check', '--config', join(repoRoot, 'config', 'demo.yaml')]).status).toBe(0);
    const r = spawnSync(
      process.execPath,
      [cliPath, 'check', '--config', join(repoRoot, 'config', 'example.yaml')],
      {
        encoding: 'utf8',
        env: { ...process.env, UPLINK_PASSWORD: 'secret' },
      },
    );
    expect(r.stdout).toContain('valid');
    expect(r.status).toBe(0);
  });

  it('prints every problem as FILE:LINE:COL path: message and exits 1', () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(
      file,
      [
        'gateway:',
        '  id: gw/1',
        '  site: s1',
        'readPoints:',
        '  - id: rp1',
        'readers:',
        '  - id: r1',
        '    driver: serial-line',
        '    readPoint: rp1',
        '    path: /dev/ttyUSB0',
        '    baudrate: 9600',
        '',
      ].join('\n'),
    );
    const r = cli(['check', '--config', file]);
    expect(r.status).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${file}:2:7 gateway\\.id: `));
    expect(lines[1]).toMatch(
      new RegExp(
        `^${file}:11:5 readers\\[0\\]\\.baudrate: unknown key "baudrate" \\(did you mean "baudRate"\\?\\)`,
      ),
    );
  });

  it('run refuses a bad config with the same messages and exit 1', () => {
    const file = join(dir, 'bad-run.yaml');
    writeFileSync(file, 'gateway:\n  id: g\n  site: s\nreadPoints: []\nreaders: []\n');
    const check = cli(['check', '--config', file]);
    const run = cli(['run', '--config', file]);
    expect(run.status).toBe(1);
    expect(check.stdout.trim().length).toBeGreaterThan(0);
    for (const line of check.stdout.trim().split('\n')) expect(run.stderr).toContain(line);
  });
});

describe('readpoint decode', () => {
  it('decodes a serialized GS1 DataMatrix scan with a \\x1d escape', () => {
    const r = cli(['decode', ']d2010950600013435221SN0042\\x1d17271231\\x1d10LOT7']);
    expect(r.status).toBe(0);
    const id = JSON.parse(r.stdout);
    expect(id).toMatchObject({ gtin: '09506000134352', serial: 'SN0042', lot: 'LOT7', expiry: '2027-12-31' });
    expect(id.uri).toBe('https://id.gs1.org/01/09506000134352/21/SN0042');
  });

  it('decodes an SGTIN-96 EPC', () => {
    const r = cli(['decode', '3074257BF7194E4000001A85']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).uri).toBe('urn:epc:id:sgtin:0614141.812345.6789');
    // SGTIN-198 (TDS Annex E) as its 198 bits in 50 hex digits, without --reader-format epc.
    const long = cli(['decode', '3674257BF6B7A659B2C2BF1000000000000000000000000000']);
    expect(long.status).toBe(0);
    expect(JSON.parse(long.stdout).uri).toBe('urn:epc:id:sgtin:0614141.712345.32a%2Fb');
  });

  it('rejects a wrong check digit with a reason and exit 1', () => {
    const r = cli(['decode', ']d2010950600013435321SN0042']);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('check-digit');
    expect(r.stderr).toMatch(/^invalid: check-digit: /);
  });

  it('decodes each line of stdin, one JSON object per line, and sums up on stderr', () => {
    const r = cli(
      ['decode'],
      ']d2010950600013435221A1\n3074257BF7194E4000001A85\nnonsense\n\n]Q1https://id.gs1.org/00/106141411234567897\r\n]d2010950600013435221B\x1d10L\n',
    );
    expect(r.status).toBe(1);
    const out = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out).toHaveLength(6);
    expect(out[0].serial).toBe('A1');
    expect(out[1].serial).toBe('6789');
    expect(out[2]).toEqual({
      input: 'nonsense',
      error: {
        code: 'no-aim-id',
        message: expect.stringMatching(/^no AIM symbology identifier and no plainSerial pattern matched/),
      },
    });
    expect(out[3].error.code).toBe('empty');
    expect(out[4]).toMatchObject({ source: 'gs1-digital-link', sscc: '106141411234567897' });
    expect(out[5]).toMatchObject({ serial: 'B', lot: 'L' }); // a raw GS byte in the file
    expect(r.stderr).toBe('4 decoded, 2 rejected (no-aim-id 1, empty 1)\n');
  });

  it('decodes as a configured reader would, and says what is wrong with the options', () => {
    const file = join(dir, 'decode.yaml');
    const text = readFileSync(join(repoRoot, 'config', 'demo.yaml'), 'utf8');
    writeFileSync(file, text);
    const reader = /readers:\n\s+- id: (\S+)/.exec(text)![1]!;
    const gs1 = cli(['decode', '--reader-format', 'gs1', '010950600013435221A1']);
    expect(gs1.status).toBe(0);
    expect(JSON.parse(gs1.stdout).serial).toBe('A1');
    const asReader = cli(
      ['decode', '--config', file, '--reader', reader],
      ']d2010950600013435221A1\nE2801160600002084A7C2E7F\n',
    );
    expect(
      asReader.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).error?.code ?? 'ok'),
    ).toEqual(['ok', 'epc-not-gs1']);
    expect(asReader.status).toBe(1);
    const unknown = cli(['decode', '--config', file, '--reader', 'nope', 'x']);
    expect(unknown.status).toBe(64);
    expect(unknown.stderr).toMatch(new RegExp(`has no reader "nope" \\(its readers: ${reader}`));
    const alone = cli(['decode', '--reader', reader, 'x']);
    expect(alone.status).toBe(64);
    expect(alone.stderr).toBe(
      'readpoint decode: --reader and --config go together (decode as that reader of that config would)\n' +
        "(run 'readpoint decode --help' for the options)\n",
    );
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'gateway:\n  id: g\n');
    const invalid = cli(['decode', '--config', broken, '--reader', reader, 'x']);
    expect(invalid.status).toBe(64);
    expect(invalid.stderr).toMatch(/broken\.yaml:\d+:\d+ /);
  });

  it('echoes a rejected input in the escaped form it was typed in, which decodes to the same bytes', () => {
    const typed = 'ab\\x1dc\\\\d\\x7f';
    const r = cli(['decode', typed]);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).input).toBe(typed);
    const accented = cli(['decode', 'Lieferschein-Nr. Größe\\x1d']);
    expect(JSON.parse(accented.stdout).input).toBe('Lieferschein-Nr. Größe\\x1d');
    const lines = cli(
      ['decode'],
      Buffer.concat([
        Buffer.from('x\x1dy\\z\n', 'latin1'),
        Buffer.from('ÿ\n', 'utf8'),
        Buffer.of(0xff, 0x0a),
      ]),
    );
    expect(
      lines.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).input),
    ).toEqual(['x\\x1dy\\\\z', 'ÿ', '\\xff']);
  });
});

describe('readpoint ports', () => {
  it('lists ports as JSON even without udevadm', () => {
    const r = cli(['ports', '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Array.isArray(out.serial)).toBe(true);
    expect(Array.isArray(out.usb)).toBe(true);
  });
});

describe('the demo (npm start) and readpoint tail', () => {
  it('publishes valid events on the embedded broker that tail prints, and stops cleanly', async () => {
    const daemon = startDaemon(demoConfig('demo'));
    try {
      const running = await daemon.waitForLog((l) => l.msg === 'readpoint running');
      const url = String(running.upstream);
      expect(url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
      const tail = spawn(process.execPath, [cliPath, 'tail', '--url', url, '--json', '--count', '3'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const human = spawn(
        process.execPath,
        [cliPath, 'tail', '--url', url, '--read-point', 'conveyor-1', '--reader', 'sim-conveyor', '-n', '3'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const humanExit = new Promise((resolve) => human.once('exit', resolve));
      let out = '';
      tail.stdout.on('data', (b) => {
        out += b;
      });
      let readable = '';
      human.stdout.on('data', (b) => {
        readable += b;
      });
      const code = await new Promise((resolve) => tail.once('exit', resolve));
      expect(code).toBe(0);
      expect(await humanExit).toBe(0);
      const lines = readable.trim().split('\n');
      expect(lines).toHaveLength(3);
      for (const l of lines)
        expect(l).toMatch(
          /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} {2}conveyor-1 {2}arrival {2}\S+ {2}.*reader sim-conveyor( ant \d+ -?[\d.]+ dBm)? x\d+$/,
        );
      const events = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(events).toHaveLength(3);
      for (const e of events) {
        expect(gs1Errors(e)).toEqual([]);
        expect(ownErrors(e)).toEqual([]);
      }
    } finally {
      expect(await daemon.kill('SIGTERM')).toBe(0);
    }
    expect(daemon.logs.some((l) => l.msg === 'stopped cleanly')).toBe(true);
  });

  it('refuses to share a data directory with another running readpoint (exit 4, one clear line)', async () => {
    const config = demoConfig('locked');
    const first = startDaemon(config);
    try {
      await first.waitForLog((l) => l.msg === 'readpoint running');
      const second = startDaemon(config);
      expect(await second.exited).toBe(4);
      const fatal = second.logs.find((l) => l.level === 60);
      expect(String(fatal?.msg)).toMatch(/in use/);
    } finally {
      expect(await first.kill('SIGTERM')).toBe(0);
    }
  });
});
