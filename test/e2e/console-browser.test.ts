/**
 * The web console in a real browser: the demo (config/demo.yaml, a simulated conveyor with RFID
 * tags on two antennas) runs as a child process with the console on, beside a simulated two-zone
 * dock door (tags read outside then inside, or the reverse); headless Chromium loads the console,
 * sees the readers connected, their read counts rise, reads in the live stream with their
 * decode, RSSI bars for every antenna, passages inbound and outbound at the door, the config
 * check, and a hold alert listed once a recall added over the control socket is seen.
 * Screenshots of each page are kept in .artifacts/console/ (and, with READPOINT_DOCS_SHOTS=1,
 * `npm run console-shots`, written to docs/images/ for the docs).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askDaemon } from '../../daemon/inventory/control-client.js';
import { launchChromium } from '../support/chromium.js';
import { type DaemonProcess, startDaemon } from '../support/daemon.js';
import { repoRoot } from '../support/schemas.js';

const ARTIFACTS = join(repoRoot, '.artifacts', 'console');
const DOCS_IMAGES = join(repoRoot, 'docs', 'images');

const DOCK_DOOR_POINT =
  '  - { id: dock-3, suppressionS: 1, direction: { inbound: receiving, outbound: shipping } }\n';
const DOCK_DOOR_READER = `  - id: sim-door
    driver: simulator
    readPoint: dock-3
    readsPerSecond: 20
    units: 200
    repeats: 4
    epcShare: 1
    garbageShare: 0
    door: true
    antennaMap:
      - { antenna: 1, zone: outside, rssiFloorDbm: -62 }
      - { antenna: 2, zone: inside }
`;

let dir: string;
let daemon: DaemonProcess;
let browser: Browser;
let page: Page;
let url: string;
const problems: string[] = [];

/** The page's document, as far as these checks use it (the tests compile without the DOM lib). */
interface PageDocument {
  querySelector(selector: string): { getAttribute(name: string): string | null } | null;
}
/** A number attribute of the first element matching, in the page (a function: the CSP forbids eval). */
const attributeAbove = ({ selector, name, above }: { selector: string; name: string; above: number }) =>
  Number(
    (globalThis as unknown as { document: PageDocument }).document
      .querySelector(selector)
      ?.getAttribute(name),
  ) > above;

async function shot(name: string): Promise<void> {
  // From the top of the page (a CDP evaluation: the page's CSP forbids eval, not the browser's tools).
  await page.evaluate('window.scrollTo(0, 0)');
  const png = await page.screenshot({ fullPage: false });
  writeFileSync(join(ARTIFACTS, `${name}.png`), png);
  if (process.env.READPOINT_DOCS_SHOTS === '1') writeFileSync(join(DOCS_IMAGES, `console-${name}.png`), png);
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  if (process.env.READPOINT_DOCS_SHOTS === '1') mkdirSync(DOCS_IMAGES, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'rp-console-'));
  // The demo as shipped, on free ports, in a temp dir, with the console on and more reads a second.
  const demo = readFileSync(join(repoRoot, 'config', 'demo.yaml'), 'utf8')
    .replace('dataDir: ./data', `dataDir: ${join(dir, 'data')}`)
    .replace('port: 1883', 'port: 0')
    .replace('readsPerSecond: 4', 'readsPerSecond: 20');
  const file = join(dir, 'demo.yaml');
  // Beside the conveyor, a two-zone dock door read by a second simulated RFID reader, its
  // outside antenna with an RSSI floor: what a technician commissions.
  const door = demo.replace('readers:\n', `${DOCK_DOOR_POINT}readers:\n`).concat(DOCK_DOOR_READER);
  writeFileSync(file, `${door}holds:\n  upstream: false\nconsole:\n  port: 0\n`);
  daemon = startDaemon(file);
  const listening = await daemon.waitForLog((l) => l.msg === 'console listening');
  url = String(listening.url);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(url);
});

afterAll(async () => {
  await browser?.close();
  if (daemon) expect(await daemon.kill('SIGTERM')).toBe(0);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the console in Chromium', () => {
  it('shows the simulated reader connected and its read count rising', async () => {
    const row = page.locator('tr[data-reader="sim-conveyor"][data-state="connected"]');
    await row.waitFor({ timeout: 20_000 });
    expect(await row.locator('td').nth(1).textContent()).toBe('simulator');
    const first = Number(await row.getAttribute('data-reads'));
    await page.waitForFunction(
      attributeAbove,
      { selector: 'tr[data-reader="sim-conveyor"]', name: 'data-reads', above: first },
      { timeout: 20_000 },
    );
    expect(await page.locator('#link').textContent()).toBe('live');
    expect(await row.locator('canvas').count()).toBeGreaterThan(0);
  });

  it('streams the reads with their decode, filterable by reader', async () => {
    await page.goto(`${url}#reads`);
    const decoded = page.locator('#read-rows tr td.code', {
      hasText: /^(https:\/\/id\.gs1\.org\/01\/|urn:epc:id:sgtin:)/,
    });
    await decoded.first().waitFor({ timeout: 20_000 });
    await page.selectOption('#filter-reader', 'sim-conveyor');
    expect(await page.locator('#read-rows tr').count()).toBeGreaterThan(0);
    expect(await page.locator('#read-rows tr:not([data-reader="sim-conveyor"])').count()).toBe(0);
    await shot('reads');
  });

  it('draws an RSSI histogram with bars for each simulated antenna', async () => {
    await page.goto(`${url}#rfid`);
    for (const antenna of ['sim-conveyor/1', 'sim-conveyor/2', 'sim-door/1', 'sim-door/2']) {
      const card = page.locator(`[data-antenna="${antenna}"]`);
      await page.waitForFunction(
        attributeAbove,
        { selector: `[data-antenna="${antenna}"]`, name: 'data-bars', above: 0 },
        { timeout: 20_000 },
      );
      expect(await card.locator('canvas').count()).toBe(1);
      expect(await card.locator('h4').textContent()).toBe(`${antenna.replace('/', ' antenna ')}`);
      // The bars are drawn: the chart's canvas holds blue pixels.
      const blue = await page.evaluate(`(() => {
        const c = document.querySelector('[data-antenna="${antenna}"] canvas');
        const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
        let n = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i] < 120 && data[i + 2] > 200 && data[i + 3] > 0) n++;
        return n;
      })()`);
      expect(blue).toBeGreaterThan(20);
    }
    expect(await page.locator('[data-antenna="sim-door/1"] div.muted').textContent()).toMatch(
      /^dock-3 \(outside\), floor -62 dBm; reads\/min: /,
    );
    expect(await page.locator('[data-antenna="sim-door/2"] div.muted').textContent()).toMatch(
      /^dock-3 \(inside\), no floor; reads\/min: /,
    );
    await shot('rfid');
  });

  it('shows the events at the read point, the outbox and the configuration check', async () => {
    await page.goto(`${url}#passes`);
    await page.locator('#pass-counts [data-read-point="conveyor-1"]').waitFor({ timeout: 20_000 });
    expect(await page.locator('#pass-rows tr').count()).toBeGreaterThan(0);
    // The dock door reports passages (with a direction), not arrivals.
    // The simulated door reads each tag on one antenna then the other: passages both ways.
    for (const direction of ['inbound', 'outbound']) {
      await page
        .locator('#pass-counts [data-read-point="dock-3"] div', { hasText: `passage ${direction}: ` })
        .waitFor({ timeout: 20_000 });
      const passage = page.locator(
        `#pass-rows tr[data-read-point="dock-3"][data-kind="passage ${direction}"]`,
      );
      await passage.first().waitFor({ timeout: 20_000 });
      const cells = passage.first().locator('td');
      expect(await cells.nth(2).textContent()).toBe('passage');
      expect(await cells.nth(3).textContent()).toBe(direction);
      const confidence = await cells.nth(4).textContent();
      expect(confidence).toMatch(/^[01]\.\d\d$/);
      expect(Number(confidence)).toBeGreaterThan(0.5);
      expect(await cells.nth(5).textContent()).toMatch(/^urn:epc:id:sgtin:9506000\.0\d{5}\.\d+$/);
    }
    expect(
      await page.locator('#pass-counts [data-read-point="dock-3"] div', { hasText: /^arrival/ }).count(),
    ).toBe(0);
    await shot('passes');
    await page.goto(`${url}#outbox`);
    await page.locator('#outbox-chart canvas').first().waitFor({ timeout: 20_000 });
    expect(await page.locator('#uplink-now dd').first().textContent()).toBe('connected');
    await shot('outbox');
    await page.goto(`${url}#config`);
    await page.locator('#check p.ok').waitFor({ timeout: 20_000 });
    expect(await page.locator('#check p').nth(1).textContent()).toBe('a reload would apply: nothing changed');
    expect(await page.locator('#config-text').textContent()).toContain('sim-conveyor');
    await shot('config');
    // The readers page last: by now its sparklines have a few points.
    await page.goto(`${url}#readers`);
    await page.locator('tr[data-reader="sim-door"][data-state="connected"]').waitFor({ timeout: 20_000 });
    await page.waitForFunction(
      attributeAbove,
      { selector: 'tr[data-reader="sim-door"]', name: 'data-spark-points', above: 3 },
      { timeout: 20_000 },
    );
    await shot('readers');
  });

  it('lists each hold alert as it is recorded: unit, hold, read point, time', async () => {
    expect(await page.locator('#hold-alerts').isHidden()).toBe(true);
    // A recall of three products, added to the local list over the control socket.
    const products = ['010000', '010030', '010060'];
    const added = await askDaemon(join(dir, 'data'), 'holds.add', {
      entries: products.map((item) => ({
        epcPattern: `urn:epc:idpat:sgtin:9506000.${item}.*`,
        reason: 'recall',
        reference: 'R-2026-118',
      })),
    });
    expect(added).toMatchObject({ added: 3 });
    await page.goto(`${url}#passes`);
    // The door's passage of a held unit: its alert listed above every page.
    const row = page.locator('#hold-alert-rows tr[data-read-point="dock-3"]').first();
    await row.waitFor({ timeout: 20_000 });
    const cells = await row.locator('td').allTextContents();
    expect(cells.slice(1)).toEqual([
      expect.stringMatching(/^urn:epc:id:sgtin:9506000\.0100[036]0\.\d+$/),
      'dock-3',
      'sim-door',
      'gtin: recall',
      'R-2026-118',
      'local',
    ]);
    expect(cells[0]).toMatch(/\d{1,2}:\d{2}:\d{2}/);
    expect(await row.getAttribute('data-unit')).toBe(cells[1]);
    expect(await page.locator('#hold-alerts').isVisible()).toBe(true);
    await shot('alerts');
    // No script error and no Content-Security-Policy violation on any page.
    expect(problems).toEqual([]);
  });
});
