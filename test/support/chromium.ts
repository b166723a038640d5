/**
 * Headless Chromium from Debian (`chromium`, installed by test/setup.sh), driven by
 * playwright-core: the real browser a technician uses, not a DOM stand-in.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? CANDIDATES.find((p) => existsSync(p));
  if (!executablePath)
    throw new Error('chromium is missing: run test/setup.sh (apt-get install chromium) or set CHROMIUM_PATH');
  return chromium.launch({
    executablePath,
    headless: true,
    // As root (CI, containers) Chromium refuses to start with its sandbox.
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
}
