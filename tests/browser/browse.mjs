// A real browser for end-to-end tests: Debian's Chromium driven by playwright-core.
//
// Use it as $BROWSER: `node tests/browser/browse.mjs URL`. It opens URL, and on the emulator's
// sign-in pages (the OIDC consent page, the device page, the portal's sign-in) it picks the user
// named by BROWSER_TEST_USER and clicks Allow, as a person would. It then waits for the page to
// settle and writes what it saw ({url, title, text}, or {error}) as JSON to BROWSER_TEST_OUT (a
// file or a named pipe: it is always written, last), and a screenshot
// to BROWSER_TEST_SCREENSHOT, when those are set. It exits non-zero on any failure.
import { chromium } from "playwright-core";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const url = process.argv[2];
const user = process.env.BROWSER_TEST_USER || "";
const out = process.env.BROWSER_TEST_OUT;
const shot = process.env.BROWSER_TEST_SCREENSHOT;
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const STEP_TIMEOUT_MS = 15000;

if (!url) {
  console.error("usage: node browse.mjs URL");
  process.exit(2);
}

const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "cl-chromium-")), {
  executablePath,
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
let status = 0;
let seen = {};
try {
  const page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  await page.goto(url, { waitUntil: "load" });
  for (let step = 0; step < 5; step++) {
    const form = await page.$("#consent, #device, #portal-sign-in");
    if (!form) break;
    if (user) {
      const radio = await page.$(`input[type=radio][name=user][value="${user}"]`);
      if (radio) await radio.check();
    }
    const allow = (await page.$("#allow")) || (user && (await page.$(`button[data-user="${user}"]`))) || (await page.$("form button"));
    await Promise.all([page.waitForNavigation({ waitUntil: "load" }).catch(() => {}), allow.click()]);
  }
  await page.waitForLoadState("load");
  seen = { url: page.url(), title: await page.title(), text: await page.innerText("body") };
  if (shot) await page.screenshot({ path: shot, fullPage: true });
} catch (e) {
  console.error(`browse.mjs: ${e.message}`);
  seen = { error: e.message };
  status = 1;
} finally {
  await context.close();
}
// Always report, so a reader waiting on a pipe is never left hanging.
if (out) writeFileSync(out, JSON.stringify(seen));
process.exit(status);
