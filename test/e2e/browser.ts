import { existsSync, mkdirSync } from "node:fs";
import { source as axeSource } from "axe-core";
import { chromium, type Browser, type Page } from "playwright-core";
import { expect } from "vitest";

/**
 * Debian's Chromium, headless, driven by playwright-core (no browser download: `.ci/run` installs
 * the `chromium` package when it is missing). The flags keep it off the network it cannot reach.
 */
export const chromiumPath = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath))
    throw new Error(
      `no Chromium at ${chromiumPath}: run .ci/run (it installs Debian's chromium package) or set CHROMIUM_PATH`,
    );
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** The two widths every page must work at. */
export const widths = [
  { name: "desktop", width: 1280, height: 800 },
  { name: "phone", width: 390, height: 844 },
] as const;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * axe-core's serious and critical violations on the page as it is now. axe is evaluated through the
 * DevTools protocol, which the page's Content-Security-Policy does not govern, so the page keeps
 * its real policy while it is checked.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  // A string, evaluated in the page: this project's type check has no DOM.
  const violations = await page.evaluate<AxeViolation[]>("axe.run().then((result) => result.violations)");
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** A full-page screenshot under test-results/ (not committed). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync("test-results", { recursive: true });
  await page.screenshot({ path: `test-results/${name}.png`, fullPage: true });
}

export type Width = (typeof widths)[number];

/** A new page at `width`, opened at `url` and signed in there with the partner's API key. */
export async function signedInPage(
  browser: Browser,
  url: string,
  apiKey: string,
  width: Width,
): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: width.width, height: width.height } });
  await page.goto(url);
  await page.getByLabel("Partner API key").fill(apiKey);
  await page.keyboard.press("Enter");
  return page;
}

/**
 * What every page must pass at every width: no serious or critical axe violation and no sideways
 * scrolling of the whole page; then its screenshot, `<name>-<width name>.png`.
 */
export async function checkPage(page: Page, name: string, width: Width): Promise<void> {
  expect(await seriousViolations(page), `${name} at ${width.width}px`).toEqual([]);
  const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
  expect(overflow, `horizontal overflow of ${name} at ${width.width}px`).toBeLessThanOrEqual(0);
  await screenshot(page, `${name}-${width.name}`);
}
