import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Where tests keep screenshots (git-ignored). */
export const ARTIFACTS_DIR = join(process.cwd(), 'test', 'artifacts');

/**
 * Debian's Chromium, headless, with the flags this sandboxed, offline machine needs (no
 * background networking: its connections are refused here and slow start-up).
 */
export async function launchChromium(): Promise<Browser> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}
