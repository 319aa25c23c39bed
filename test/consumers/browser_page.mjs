// Opens a page in Debian's headless chromium and collects its console until `done(lines)` holds.
import { chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium() {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox'] });
}

/** Resolves to the page's console lines ({ type, text }) and uncaught errors once done(lines) is true; rejects after timeoutMs. */
export async function consoleOf(browser, url, done, timeoutMs = 60_000) {
  const page = await browser.newPage();
  const lines = [];
  const errors = [];
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${url}: no result after ${timeoutMs / 1000} s; console: ${JSON.stringify(lines)}; errors: ${JSON.stringify(errors)}`)), timeoutMs);
      const check = () => {
        if (errors.length) {
          clearTimeout(timer);
          reject(new Error(`${url}: uncaught ${errors.join('; ')}; console: ${JSON.stringify(lines)}`));
        } else if (done(lines)) {
          clearTimeout(timer);
          resolve(lines);
        }
      };
      page.on('console', (m) => {
        lines.push({ type: m.type(), text: m.text() });
        check();
      });
      page.on('pageerror', (e) => {
        errors.push(e.message);
        check();
      });
      page.goto(url).catch(reject);
    });
  } finally {
    await page.close();
  }
}
