// Proves Swagger UI at /api works in a real browser under the service's CSP: it renders, signs in through the
// OAuth2 password flow and calls GET /users/me for a 200, and keeps no credentials in the browser's storage, not
// even across a reload. Any console error, page error or failed request to the service fails the test. Saves
// docs/swagger.png.
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { admin, build, root, startService } from './lib/service.mjs';

const screenshot = 'docs/swagger.png';
const problems = [];
let step;
let service;
let browser;

/** Runs one named step, so that a failure says which. */
async function check(name, run) {
  step = name;
  await run();
  console.log(`ok: ${name}`);
}

async function test() {
  await check('start the service', async () => {
    service = await startService({ NO_COLOR: '1' });
  });
  const { origin } = new URL(service.base);

  await check('launch Chromium', async () => {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      // Without the background-networking flags Chromium's own connections are refused by the closed network.
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  // From the start, so that a CSP violation while the page loads counts too.
  page.on('console', (message) => {
    if (message.type() === 'error') {
      problems.push(`console error: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    if (new URL(request.url()).origin === origin) {
      problems.push(`request failed: ${request.method()} ${request.url()}: ${request.failure()?.errorText}`);
    }
  });

  await check('Swagger UI renders at /api', async () => {
    await page.goto(`${service.base}/api`);
    await page.locator('.swagger-ui .info .title').waitFor();
    await page.locator('#operations-me-MeController_get').waitFor();
  });

  await check('authorize with the OAuth2 password flow', async () => {
    await page.locator('.scheme-container .btn.authorize').click();
    // The section of the password flow; its inputs give way to the signed-in user once authorized.
    const oauth2 = page.locator('.modal-ux .auth-container').filter({ hasText: 'oauth2 (OAuth2, password)' });
    await oauth2.locator('#oauth_username').fill(admin.username);
    await oauth2.locator('#oauth_password').fill(admin.password);
    await oauth2.locator('.btn.authorize').click();
    await oauth2.locator('.btn', { hasText: 'Logout' }).waitFor();
    await oauth2.locator('.btn-done').click();
    await page.locator('.modal-ux').waitFor({ state: 'detached' });
  });

  const operation = page.locator('#operations-me-MeController_get');
  await check('GET /users/me answers 200 with the admin', async () => {
    await operation.locator('.opblock-summary-control').click();
    await operation.locator('.try-out__btn').click();
    await operation.locator('.btn.execute').click();
    const live = operation.locator('.live-responses-table');
    const status = (await live.locator('.response .response-col_status').first().textContent()).trim();
    if (status !== '200') {
      throw new Error(`the response status shown is ${status}, not 200`);
    }
    const body = await live.locator('.response .highlight-code').first().textContent();
    if (!body.includes(`"username": "${admin.username}"`)) {
      throw new Error(`the body shown lacks the admin:\n${body}`);
    }
  });

  // Anything in localStorage or sessionStorage outlives the tab and is readable by any script of the origin.
  const storedByThePage = () =>
    // Runs in the page, where the storages are globals.
    page.evaluate(() => ({
      localStorage: { ...globalThis.localStorage },
      sessionStorage: { ...globalThis.sessionStorage },
    }));
  const expectNothingStored = async () => {
    const stored = await storedByThePage();
    if (Object.keys(stored.localStorage).length > 0 || Object.keys(stored.sessionStorage).length > 0) {
      throw new Error(`the page stored ${JSON.stringify(stored)}`);
    }
  };

  await check('after Authorize, nothing is kept in localStorage or sessionStorage', expectNothingStored);

  await check(`screenshot ${screenshot}`, async () => {
    await operation.evaluate((element) => element.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: join(root, screenshot) });
  });

  await check('after a reload, Swagger UI is signed out and still keeps nothing', async () => {
    // Loaded afresh rather than reloaded: the URL now holds the deep link of the operation opened above.
    await page.goto(`${service.base}/api`);
    await page.locator('#operations-me-MeController_get').waitFor();
    await page.locator('.scheme-container .btn.authorize.unlocked').waitFor();
    await expectNothingStored();
  });

  await check('no console errors, page errors or failed requests', async () => {
    if (problems.length > 0) {
      throw new Error(`${problems.length} recorded`);
    }
  });
}

build();
// A hung browser or service must not hang CI; the cleanup below still runs.
let timer;
const timeout = new Promise((_, reject) => {
  timer = setTimeout(() => reject(new Error('timed out after 120 s')), 120_000);
});
let failed = false;
try {
  await Promise.race([test(), timeout]);
} catch (error) {
  failed = true;
  console.error(`browser test failed at "${step}": ${error.message}`);
  if (problems.length > 0) {
    console.error(`recorded in the browser:\n${problems.join('\n')}`);
  }
  if (service) {
    console.error(`--- last service output ---\n${service.output().slice(-3000)}`);
  }
} finally {
  clearTimeout(timer);
  await browser?.close();
  await service?.stop();
}
process.exit(failed ? 1 : 0);
