// Drives the example web client (examples/web) in Chromium through passkey ceremonies against the built service, with
// the DevTools virtual authenticator (CDP's WebAuthn domain) standing in for the user's device: a password sign-in, a
// passkey registered, usernameless and username sign-ins with it; then the ceremonies the service must refuse (no
// user verification, a bad signature, a replayed assertion, a challenge used twice, another origin, a signature
// counter gone back); then sessions, a rename, a step-up before a removal and a sign-in with a second factor. Any
// console error, page error or failed request fails the test, except the "Failed to load resource" that each refusal
// it provokes logs (matched by URL and status). Saves docs/example-web.png.
import { join } from 'node:path';
import { generate } from 'otplib';
import { chromium } from 'playwright-core';
import { startExampleServer } from '../examples/web/server.mjs';
import { admin, build, freePort, root, startService } from './lib/service.mjs';

const screenshot = 'docs/example-web.png';
const problems = [];
/** The console errors of the refusals the test provokes, {url, status, seen}: each allowed once. */
const expectedLoadErrors = [];
let step;
let service;
let browser;
const examples = [];

/** Runs one named step, so that a failure says which; prints what the step saw. */
async function check(name, run) {
  step = name;
  const saw = await run();
  console.log(`ok: ${name}${saw ? `\n    ${saw}` : ''}`);
}

function expect(condition, problem) {
  if (!condition) {
    throw new Error(problem);
  }
}

/** Allows the one console error Chromium logs for a response of `status` from `url`. */
function expectLoadError(url, status) {
  expectedLoadErrors.push({ url, status, seen: false });
}

/** The claims of a JWT (the service signed it; only read here). */
const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

/** Records a page's console errors, page errors and failed requests to `origins`, but for the expected ones. */
function watch(page, origins) {
  page.on('console', (message) => {
    if (message.type() !== 'error') {
      return;
    }
    const text = message.text();
    const status = Number(
      /^Failed to load resource: the server responded with a status of (\d+)/.exec(text)?.[1],
    );
    const { url } = message.location();
    const expected = expectedLoadErrors.find(
      (load) => !load.seen && load.url === url && load.status === status,
    );
    if (expected) {
      expected.seen = true;
    } else {
      problems.push(`console error: ${text} (${url})`);
    }
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    if (origins.includes(new URL(request.url()).origin)) {
      problems.push(`request failed: ${request.method()} ${request.url()}: ${request.failure()?.errorText}`);
    }
  });
}

/** A call to the service from here (not the page), as the admin's own tools would make it. */
async function callService(method, path, { token, body } = {}) {
  const response = await fetch(service.base + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function test() {
  const started = performance.now();
  await check('start the service and two example servers', async () => {
    // The example servers need the service's URL for their policy, the service their origins: its port comes first.
    const servicePort = await freePort();
    const serviceUrl = `http://127.0.0.1:${servicePort}`;
    examples.push(
      await startExampleServer({ port: 0, serviceUrl }),
      await startExampleServer({ port: 0, serviceUrl }),
    );
    service = await startService(
      {
        NO_COLOR: '1',
        CORS_ORIGINS: examples.map(({ url }) => url).join(','),
        // The second example server is a page the service answers (CORS) but whose ceremonies it must refuse.
        WEBAUTHN_ORIGINS: examples[0].url,
        WEBAUTHN_RP_ID: 'localhost',
        AUTH_RATE_LIMIT_PER_MINUTE: '100',
        MAIL_ENABLED: 'false',
      },
      { port: servicePort },
    );
    return `service ${service.base}, the page at ${examples[0].url}, another origin at ${examples[1].url}`;
  });
  const api = (path) => service.base + path;
  const verifyUrl = api('/auth/passkeys/verify');

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
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  // From the start, so that a CSP violation while the page loads counts too.
  watch(page, [new URL(service.base).origin, ...examples.map(({ url }) => url)]);

  const message = page.locator('#message');
  /** Clicks `target` (a selector or locator) and resolves with what the page then says, {kind, text}. */
  const act = async (target) => {
    await (typeof target === 'string' ? page.locator(target) : target).click();
    // The click hid the message; the action shows one when it ends, whether it succeeded or not.
    await message.waitFor();
    return { kind: await message.getAttribute('class'), text: (await message.textContent()).trim() };
  };
  /** The answer to the next `method` request to `path`; its timeout counts where it is awaited, and only there. */
  const answerTo = (method, path) => {
    const answered = page.waitForResponse(
      (response) => response.url() === api(path) && response.request().method() === method,
    );
    answered.catch(() => {});
    return answered;
  };
  const expectRefused = (outcome, pattern) =>
    expect(
      outcome.kind === 'error' && pattern.test(outcome.text),
      `the page says ${JSON.stringify(outcome)}`,
    );
  const signedIn = page.locator('#signed-in');
  const signedOut = page.locator('#signed-out');
  const passkeyRows = page.locator('#passkeys tbody tr');
  const sessionRows = page.locator('#sessions tbody tr');
  const fact = (term) => page.locator('#me dt', { hasText: term }).locator('xpath=following-sibling::dd[1]');

  await check('the page loads with its security headers', async () => {
    const response = await page.goto(`${examples[0].url}/?service=${encodeURIComponent(service.base)}`);
    const headers = response.headers();
    const policy = headers['content-security-policy'].split('; ');
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      `connect-src 'self' ${service.base}`,
      "frame-ancestors 'none'",
    ]) {
      expect(policy.includes(directive), `the policy lacks ${directive}: ${policy.join('; ')}`);
    }
    expect(headers['x-content-type-options'] === 'nosniff', 'no X-Content-Type-Options: nosniff');
    expect(headers['referrer-policy'] === 'no-referrer', 'no Referrer-Policy: no-referrer');
    await signedOut.waitFor();
    // The module has run once the field holds ?service=.
    await page.waitForFunction(
      (base) => globalThis.document.querySelector('#service-url').value === base,
      service.base,
    );
    expect(await page.locator('#service-note').isHidden(), 'the page says the service is out of its policy');
    return `connect-src 'self' ${service.base}, frame-ancestors 'none', nosniff, no-referrer; the service field reads ${service.base}`;
  });

  const cdp = await context.newCDPSession(page);
  let authenticatorId;
  const credentials = async () =>
    (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
  await check('a virtual authenticator (CTAP 2.1, internal, resident keys, user verification)', async () => {
    await cdp.send('WebAuthn.enable');
    ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        ctap2Version: 'ctap2_1',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    }));
    return `authenticator ${authenticatorId}`;
  });

  /** Signs in through the password form; resolves with the TokenPair the service gave. */
  const signInWithPassword = async () => {
    const form = page.locator('#password-form');
    await form.locator('[name=username]').fill(admin.username);
    await form.locator('[name=password]').fill(admin.password);
    const answered = answerTo('POST', '/auth/login');
    const outcome = await act(form.locator('button[type=submit]'));
    const response = await answered;
    expect(response.status() === 200, `POST /auth/login answered ${response.status()}`);
    expect(outcome.text === 'Signed in with a password.', `the page says ${JSON.stringify(outcome)}`);
    await signedIn.waitFor();
    return response.json();
  };
  const signOut = async () => {
    const answered = answerTo('POST', '/auth/logout');
    const outcome = await act('#sign-out');
    expect((await answered).status() === 204, `POST /auth/logout answered ${(await answered).status()}`);
    expect(outcome.text === 'Signed out.', `the page says ${JSON.stringify(outcome)}`);
    await signedOut.waitFor();
  };
  /** A passkey sign-in that succeeds: its verify request body and TokenPair, and the name the page shows. */
  const signInWithPasskey = async (trigger) => {
    const answered = answerTo('POST', '/auth/passkeys/verify');
    const outcome = await act(trigger);
    const response = await answered;
    expect(response.status() === 200, `POST /auth/passkeys/verify answered ${response.status()}`);
    expect(outcome.text === 'Signed in with a passkey.', `the page says ${JSON.stringify(outcome)}`);
    await signedIn.waitFor();
    return {
      body: response.request().postData(),
      tokens: await response.json(),
      username: await page.locator('#me-username').textContent(),
    };
  };

  let sessionTokens;
  await check('sign in with the admin password', async () => {
    sessionTokens = await signInWithPassword();
    const { amr } = claimsOf(sessionTokens.access_token);
    const shown = await page.locator('#me-username').textContent();
    expect(shown === admin.username, `the page shows ${shown}`);
    return `the page shows "Signed in as ${shown}", signed in with "${await fact('Signed in with').textContent()}"; amr ${JSON.stringify(amr)}`;
  });

  let passkey;
  await check('register a passkey', async () => {
    await page.locator('#passkey-add-form [name=name]').fill('Laptop');
    const optionsAnswered = answerTo('POST', '/users/me/passkeys/options');
    const answered = answerTo('POST', '/users/me/passkeys');
    const outcome = await act('#passkey-add-form button[type=submit]');
    const response = await answered;
    expect(response.status() === 201, `POST /users/me/passkeys answered ${response.status()}`);
    passkey = await response.json();
    const options = await (await optionsAnswered).json();
    const { residentKey, userVerification } = options.authenticatorSelection;
    const algorithms = options.pubKeyCredParams.map(({ alg }) => alg);
    expect(
      options.rp.id === 'localhost' &&
        residentKey === 'required' &&
        userVerification === 'required' &&
        options.attestation === 'none' &&
        options.timeout === 300_000 &&
        options.excludeCredentials.length === 0,
      `the creation options: ${JSON.stringify(options)}`,
    );
    expect(outcome.text === 'Passkey "Laptop" added.', `the page says ${JSON.stringify(outcome)}`);
    // A fresh password sign-in is recent enough for the step-up of both calls: no dialog.
    expect(await page.locator('#step-up').isHidden(), 'the page asked to confirm the password');
    const rows = await passkeyRows.allInnerTexts();
    expect(rows.length === 1 && rows[0].startsWith('Laptop'), `the passkeys listed: ${JSON.stringify(rows)}`);
    const [credential] = await credentials();
    expect(credential?.isResidentCredential, 'the authenticator holds no resident credential');
    return (
      `options: rp ${options.rp.id}, residentKey ${residentKey}, userVerification ${userVerification}, ` +
      `algorithms ${JSON.stringify(algorithms)}, attestation ${options.attestation}; ` +
      `listed: ${rows[0].split('\t').slice(0, 3).join(' | ')}; the service says deviceType ` +
      `${passkey.deviceType}, backedUp ${passkey.backedUp}, transports ${JSON.stringify(passkey.transports)}; ` +
      `the authenticator holds it as a resident credential for ${credential.rpId}, signCount ${credential.signCount}`
    );
  });

  await check('sign out', async () => {
    await signOut();
    return 'POST /auth/logout 204, the sign-in forms are back';
  });

  let capturedAssertion;
  await check('sign in with the passkey, usernameless', async () => {
    const optionsAnswered = answerTo('POST', '/auth/passkeys/options');
    const { body, tokens, username } = await signInWithPasskey('#passkey-sign-in');
    const asked = (await optionsAnswered).request().postData();
    const options = await (await optionsAnswered).json();
    expect(asked === '{}', `the options were asked with ${asked}`);
    expect(
      options.rpId === 'localhost' &&
        options.userVerification === 'required' &&
        options.timeout === 300_000 &&
        !options.allowCredentials?.length,
      `the request options: ${JSON.stringify(options)}`,
    );
    capturedAssertion = body;
    const { amr } = claimsOf(tokens.access_token);
    expect(username === admin.username, `the page shows ${username}`);
    expect(JSON.stringify(amr) === '["hwk","user"]', `amr ${JSON.stringify(amr)}`);
    const method = await fact('Signed in with').textContent();
    await signOut();
    return (
      `options asked with {}: rpId ${options.rpId}, userVerification ${options.userVerification}, no ` +
      `allowCredentials; the page shows "Signed in as ${username}", signed in with "${method}"; the access ` +
      `token's amr ${JSON.stringify(amr)}`
    );
  });

  await check('sign in with the passkey, for a username', async () => {
    const options = answerTo('POST', '/auth/passkeys/options');
    await page.locator('#passkey-username-form [name=username]').fill(admin.username);
    const { username } = await signInWithPasskey('#passkey-username-form button[type=submit]');
    expect(username === admin.username, `the page shows ${username}`);
    const asked = (await options).request().postData();
    await signOut();
    return `options asked with ${asked}; the page shows "Signed in as ${username}"`;
  });

  await check('refused: the authenticator cannot verify the user (setUserVerified false)', async () => {
    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
    const sent = [];
    const record = (request) => request.url() === verifyUrl && sent.push(request);
    page.on('request', record);
    const outcome = await act('#passkey-sign-in');
    page.off('request', record);
    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: true });
    expectRefused(outcome, /^The browser ended the passkey ceremony: NotAllowedError/);
    expect(sent.length === 0, 'the page sent an assertion');
    return `the browser refused before the service (no POST /auth/passkeys/verify); the page says "${outcome.text}"`;
  });

  const refusedByTheService = async (overrides, description) => {
    await cdp.send('WebAuthn.setResponseOverrideBits', { authenticatorId, ...overrides });
    expectLoadError(verifyUrl, 401);
    const answered = answerTo('POST', '/auth/passkeys/verify');
    const outcome = await act('#passkey-sign-in');
    await cdp.send('WebAuthn.setResponseOverrideBits', {
      authenticatorId,
      isBogusSignature: false,
      isBadUV: false,
      isBadUP: false,
    });
    const response = await answered;
    expect(response.status() === 401, `POST /auth/passkeys/verify answered ${response.status()}`);
    const challenge = response.headers()['www-authenticate'];
    expect(challenge === 'Bearer', `the 401 came with WWW-Authenticate: ${challenge}`);
    expectRefused(outcome, /^POST \/auth\/passkeys\/verify answered 401: The passkey was not accepted$/);
    return `${description}: POST /auth/passkeys/verify 401; the page says "${outcome.text}"`;
  };

  await check('refused: an assertion without the user-verified flag (isBadUV)', () =>
    refusedByTheService({ isBadUV: true }, 'the browser passed it on'),
  );

  await check('refused: a bogus signature (isBogusSignature)', () =>
    refusedByTheService({ isBogusSignature: true }, 'the browser passed it on'),
  );

  const postFromThePage = (path, body) =>
    page.evaluate(
      async ({ url, body }) => {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        return { status: response.status, body: await response.json() };
      },
      { url: api(path), body },
    );

  await check('refused: a replayed assertion', async () => {
    expectLoadError(verifyUrl, 401);
    const replay = await postFromThePage('/auth/passkeys/verify', capturedAssertion);
    expect(replay.status === 401, `the replay answered ${JSON.stringify(replay)}`);
    expect(
      replay.body.message === 'The passkey was not accepted',
      `the replay answered ${JSON.stringify(replay)}`,
    );
    return `the body of the usernameless sign-in's POST /auth/passkeys/verify, sent again: ${replay.status} "${replay.body.message}"`;
  });

  let otherSession;
  await check('refused: one challenge, two ceremonies', async () => {
    expectLoadError(verifyUrl, 401);
    const answers = await page.evaluate(async (base) => {
      const { startAuthentication } = await import('/vendor/simplewebauthn/index.js');
      const post = async (path, body) => {
        const response = await fetch(base + path, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        return { status: response.status, body: await response.json() };
      };
      const optionsJSON = (await post('/auth/passkeys/options', {})).body;
      const first = await startAuthentication({ optionsJSON });
      const second = await startAuthentication({ optionsJSON });
      return [
        await post('/auth/passkeys/verify', { response: first }),
        await post('/auth/passkeys/verify', { response: second }),
      ];
    }, service.base);
    const statuses = answers.map(({ status }) => status);
    expect(JSON.stringify(statuses) === '[200,401]', `the two answers: ${JSON.stringify(answers)}`);
    expect(
      answers[1].body.message === 'The passkey was not accepted',
      `the second: ${JSON.stringify(answers[1])}`,
    );
    // A session of its own, ended from the page's list below.
    otherSession = claimsOf(answers[0].body.access_token).sid;
    return `the first assertion 200 (session ${otherSession}), the second with the same challenge ${statuses[1]} "${answers[1].body.message}"`;
  });

  await check('refused: an assertion made on another origin', async () => {
    // Allowed by CORS_ORIGINS, not by WEBAUTHN_ORIGINS. The virtual authenticator belongs to the tab, and stays.
    await page.goto(examples[1].url);
    await signedOut.waitFor();
    const seen = await refusedByTheService({}, `from ${examples[1].url}`);
    await page.goto(examples[0].url);
    await signedOut.waitFor();
    return seen;
  });

  /** Puts the passkey back in the authenticator with another signature count; resolves with the one it had. */
  const setSignCount = async (signCount) => {
    const [credential] = await credentials();
    const { credentialId, rpId, privateKey, userHandle, isResidentCredential } = credential;
    await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId });
    await cdp.send('WebAuthn.addCredential', {
      authenticatorId,
      credential: { credentialId, rpId, privateKey, userHandle, isResidentCredential, signCount },
    });
    return credential.signCount;
  };

  let storedCount;
  await check('refused: a signature counter that went back', async () => {
    // Each assertion counted up; the service keeps the last count it accepted. From 0, the next assertion says 1.
    const signCount = await setSignCount(0);
    expect(signCount >= 2, `the authenticator's count was ${signCount}`);
    const seen = await refusedByTheService({}, `the authenticator's count set from ${signCount} to 0`);

    const signIn = await callService('POST', '/auth/login', { body: admin });
    const token = signIn.body.access_token;
    const audit = await callService('GET', '/admin/audit?type=passkey.counter_regressed', { token });
    await callService('POST', '/auth/logout', { token });
    expect(
      audit.status === 200 && audit.body.total === 1,
      `GET /admin/audit answered ${JSON.stringify(audit)}`,
    );
    const [event] = audit.body.items;
    const { passkeyId, storedCounter, presentedCounter } = event.details;
    expect(passkeyId === passkey.id, `the event names passkey ${passkeyId}, not ${passkey.id}`);
    expect(presentedCounter <= storedCounter, `the event says ${JSON.stringify(event.details)}`);
    storedCount = storedCounter;
    return `${seen}; GET /admin/audit?type=passkey.counter_regressed: 1 event, details ${JSON.stringify(event.details)}`;
  });

  await check(
    "the passkey again, its count past the service's: signed in, the passkey and sessions listed",
    async () => {
      // Refused, the passkey stays usable: the next assertion says the count the service keeps, plus one.
      await setSignCount(storedCount);
      const { username } = await signInWithPasskey('#passkey-sign-in');
      expect(username === admin.username, `the page shows ${username}`);
      await passkeyRows.first().waitFor();
      // The cells but the buttons'.
      const passkeys = (await passkeyRows.allInnerTexts()).map((row) =>
        row.split('\t').slice(0, 5).join(' | '),
      );
      const sessions = await sessionRows.allInnerTexts();
      expect(passkeys.length === 1, `the passkeys listed: ${JSON.stringify(passkeys)}`);
      expect(sessions.length === 2, `the sessions listed: ${JSON.stringify(sessions)}`);
      return (
        `signed in with "${await fact('Signed in with').textContent()}"; passkey: ${passkeys[0]}; ` +
        `${sessions.length} sessions: ${sessions.map((row) => row.split('\t')[0]).join('; ')}`
      );
    },
  );

  await check(`screenshot ${screenshot}`, async () => {
    await page.screenshot({ path: join(root, screenshot), fullPage: true });
  });

  await check('end another session from the list', async () => {
    const row = page.locator(`#sessions tbody tr[data-id="${otherSession}"]`);
    const answered = answerTo('DELETE', `/users/me/sessions/${otherSession}`);
    const outcome = await act(row.getByRole('button', { name: 'End' }));
    expect((await answered).status() === 204, `DELETE answered ${(await answered).status()}`);
    expect(outcome.text === 'Session ended.', `the page says ${JSON.stringify(outcome)}`);
    expect((await sessionRows.count()) === 1, `${await sessionRows.count()} sessions listed`);
    return `DELETE /users/me/sessions/${otherSession} 204; the list holds the current session only`;
  });

  await check('rename the passkey', async () => {
    await passkeyRows.first().getByRole('button', { name: 'Rename' }).click();
    const input = passkeyRows.first().getByRole('textbox', { name: 'New name' });
    await input.fill('Work laptop');
    const answered = answerTo('PATCH', `/users/me/passkeys/${passkey.id}`);
    await input.press('Enter');
    await message.waitFor();
    const response = await answered;
    expect(response.status() === 200, `PATCH answered ${response.status()}`);
    const name = await passkeyRows.first().locator('td').first().textContent();
    expect(name === 'Work laptop', `the name shown is ${name}`);
    return `PATCH /users/me/passkeys/${passkey.id} 200; the list shows "${name}"`;
  });

  await check('sign out, and in with the password again', async () => {
    await signOut();
    sessionTokens = await signInWithPassword();
    const passkeys = await passkeyRows.count();
    return `signed in with "${await fact('Signed in with').textContent()}"; ${passkeys} passkey listed`;
  });

  let recoveryCodes;
  await check('remove the passkey, after a step-up', async () => {
    // With a second factor turned on, this session's sign-in (a password alone) no longer suffices for a removal.
    const enrolment = await callService('POST', '/users/me/mfa/totp', { token: sessionTokens.access_token });
    const confirmed = await callService('POST', '/users/me/mfa/totp/confirm', {
      token: sessionTokens.access_token,
      body: { code: await generate({ secret: enrolment.body.secret }) },
    });
    expect(confirmed.status === 200, `the second factor was not turned on: ${JSON.stringify(confirmed)}`);
    ({ recoveryCodes } = confirmed.body);

    const removalUrl = api(`/users/me/passkeys/${passkey.id}`);
    expectLoadError(removalUrl, 401);
    const removals = [];
    const record = (response) =>
      response.url() === removalUrl &&
      response.request().method() === 'DELETE' &&
      removals.push(response.status());
    page.on('response', record);
    await passkeyRows.first().getByRole('button', { name: 'Remove' }).click();
    const dialog = page.locator('#step-up');
    await dialog.waitFor();
    const reason = await page.locator('#step-up-reason').textContent();
    await dialog.locator('[name=password]').fill(admin.password);
    await dialog.locator('[name=code]').fill(recoveryCodes[0]);
    const reauthenticated = answerTo('POST', '/auth/reauthenticate');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    const reauthentication = await reauthenticated;
    await message.waitFor();
    page.off('response', record);
    const outcome = { kind: await message.getAttribute('class'), text: await message.textContent() };
    expect(
      reauthentication.status() === 200,
      `POST /auth/reauthenticate answered ${reauthentication.status()}`,
    );
    const { amr } = claimsOf((await reauthentication.json()).access_token);
    expect(JSON.stringify(removals) === '[401,204]', `the DELETEs answered ${JSON.stringify(removals)}`);
    expect(
      outcome.text.startsWith('Passkey "Work laptop" removed.'),
      `the page says ${JSON.stringify(outcome)}`,
    );
    expect((await passkeyRows.count()) === 0, 'the passkey is still listed');
    await page.locator('#passkeys-empty').waitFor();
    return (
      `DELETE 401 insufficient_user_authentication; the dialog said "${reason}"; POST /auth/reauthenticate ` +
      `(password and a recovery code) 200, amr ${JSON.stringify(amr)}; DELETE again 204; "No passkeys yet."`
    );
  });

  await check('sign in with a password and a second factor', async () => {
    await signOut();
    const form = page.locator('#password-form');
    await form.locator('[name=username]').fill(admin.username);
    await form.locator('[name=password]').fill(admin.password);
    expectLoadError(api('/auth/login'), 403);
    const asked = await act(form.locator('button[type=submit]'));
    expect(asked.kind === 'info' && (await page.locator('#mfa-form').isVisible()), 'no code was asked for');
    await page.locator('#mfa-form [name=code]').fill(recoveryCodes[1]);
    const answered = answerTo('POST', '/auth/mfa');
    const outcome = await act('#mfa-form button[type=submit]');
    const { amr } = claimsOf((await (await answered).json()).access_token);
    expect(
      outcome.text === 'Signed in with a password and a second factor.',
      `the page says ${outcome.text}`,
    );
    expect(JSON.stringify(amr) === '["pwd","otp"]', `amr ${JSON.stringify(amr)}`);
    const method = await fact('Signed in with').textContent();
    await signOut();
    return `POST /auth/login 403 with an mfa_token, the page asked for a code; POST /auth/mfa (a recovery code) 200, signed in with "${method}"; signed out`;
  });

  await check('nothing kept in localStorage, sessionStorage or cookies', async () => {
    const stored = await page.evaluate(() => ({
      localStorage: { ...globalThis.localStorage },
      sessionStorage: { ...globalThis.sessionStorage },
    }));
    const cookies = await context.cookies();
    expect(
      Object.keys(stored.localStorage).length === 0 && Object.keys(stored.sessionStorage).length === 0,
      `the page stored ${JSON.stringify(stored)}`,
    );
    expect(cookies.length === 0, `cookies: ${JSON.stringify(cookies)}`);
  });

  await check('no console errors, page errors or failed requests but the expected ones', async () => {
    if (problems.length > 0) {
      throw new Error(`${problems.length} recorded`);
    }
    const seen = expectedLoadErrors.filter((load) => load.seen).length;
    return `${seen} of the ${expectedLoadErrors.length} expected "Failed to load resource" errors logged, nothing else; ${((performance.now() - started) / 1000).toFixed(1)} s`;
  });
}

build();
// A hung browser or service must not hang CI; the cleanup below still runs.
let timer;
const timeout = new Promise((_, reject) => {
  timer = setTimeout(() => reject(new Error('timed out after 180 s')), 180_000);
});
let failed = false;
try {
  await Promise.race([test(), timeout]);
} catch (error) {
  failed = true;
  console.error(`passkeys test failed at "${step}": ${error.message}`);
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
  await Promise.all(examples.map((example) => example.close()));
}
process.exit(failed ? 1 : 0);
