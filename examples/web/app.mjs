// The example web client: signs in to the auth service with a password (and a second factor) or a passkey, and
// shows what the signed-in user can see and change. The tokens live in this module's variables only, never in
// localStorage, sessionStorage or a cookie: a reload signs out, and no other page or later visitor finds them.
import {
  browserSupportsWebAuthn,
  startAuthentication,
  startRegistration,
} from '/vendor/simplewebauthn/index.js';

const $ = (selector) => document.querySelector(selector);

/** The one service origin this page's Content-Security-Policy lets it connect to (see server.mjs). */
const allowedOrigin = $('meta[name="service-url"]').content;
const serviceInput = $('#service-url');
serviceInput.value = new URLSearchParams(location.search).get('service') ?? allowedOrigin;

/** The signed-in session's TokenPair ({access_token, refresh_token, …}), or null. */
let tokens = null;
/** The signed-in User, as GET /users/me answered. */
let me = null;
/** Given by POST /auth/login for an account with a second factor, until POST /auth/mfa uses it. */
let mfaToken = null;
/** Settles the step-up that the dialog is waiting for. */
let stepUpWaiting = null;

/** A response of the service other than 2xx. */
class ServiceError extends Error {
  constructor(request, status, body, challenge) {
    const detail = Array.isArray(body?.message)
      ? body.message.join('; ')
      : (body?.message ?? body?.error_description);
    super(`${request} answered ${status}${detail ? `: ${detail}` : ''}`);
    this.status = status;
    this.body = body;
    this.challenge = challenge ?? '';
  }

  /** RFC 9470: the token is fine, its sign-in too old or too weak for this change. */
  get isStepUp() {
    return this.status === 401 && this.challenge.includes('error="insufficient_user_authentication"');
  }

  get isInvalidToken() {
    return this.status === 401 && this.challenge.includes('error="invalid_token"');
  }
}

function serviceBase() {
  return serviceInput.value.trim().replace(/\/+$/, '');
}

/** One call to the service; resolves with the JSON body (null for none), rejects with a readable error. */
async function request(method, path, { body, token } = {}) {
  const headers = {};
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
  }
  if (token) {
    headers.authorization = `Bearer ${token}`;
  }
  let response;
  try {
    response = await fetch(serviceBase() + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    log(method, path, 'no answer');
    throw new Error(
      `No answer from ${serviceBase()}: is the service running, with ${location.origin} in its CORS_ORIGINS?`,
    );
  }
  const text = await response.text();
  const data = parseJson(text);
  if (!response.ok) {
    const error = new ServiceError(
      `${method} ${path}`,
      response.status,
      data,
      response.headers.get('www-authenticate'),
    );
    log(method, path, response.status, error.message.replace(/^.*? answered \d+:? ?/, ''));
    throw error;
  }
  log(method, path, response.status);
  return data;
}

function parseJson(text) {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

/**
 * A call as the signed-in user. A step-up answer asks for the password (and a code), then tries once more; an
 * expired access token is refreshed, then the call tried once more.
 */
async function call(method, path, body) {
  const send = () => request(method, path, { body, token: tokens.access_token });
  try {
    return await send();
  } catch (error) {
    if (error.isStepUp) {
      await stepUp(error.challenge);
      return send();
    }
    if (error.isInvalidToken && tokens.refresh_token) {
      await refresh();
      return send();
    }
    throw error;
  }
}

async function refresh() {
  try {
    tokens = await request('POST', '/auth/refresh', { body: { refresh_token: tokens.refresh_token } });
  } catch (error) {
    endLocally();
    throw new Error(`The session has ended (${error.message}); sign in again.`);
  }
}

/** The claims of a JWT, unverified: for showing only (the service verifies its tokens). */
function claimsOf(jwt) {
  const base64 = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(base64), (char) => char.charCodeAt(0))));
}

const METHODS = { pwd: 'password', otp: 'second factor', hwk: 'passkey', user: 'unlocked by the user' };

// ---- signing in and out ----

async function signIn(tokenPair) {
  tokens = tokenPair;
  mfaToken = null;
  try {
    me = await call('GET', '/users/me');
  } catch (error) {
    endLocally();
    throw error;
  }
  renderMe();
  setSignedIn(true);
  await Promise.all([loadPasskeys(), loadSessions()]);
}

async function signInWithPassword(form) {
  const { username, password } = form.elements;
  let tokenPair;
  try {
    tokenPair = await request('POST', '/auth/login', {
      body: { username: username.value, password: password.value },
    });
  } catch (error) {
    if (error.status === 403 && error.body?.mfa_token) {
      mfaToken = error.body.mfa_token;
      form.reset();
      showMfaForm(true);
      say('The password is right. Now a code from the authenticator app, or a recovery code.');
      return;
    }
    throw error;
  }
  form.reset();
  await signIn(tokenPair);
  say('Signed in with a password.');
}

async function signInWithCode(form) {
  const tokenPair = await request('POST', '/auth/mfa', {
    body: { mfa_token: mfaToken, code: form.elements.code.value.trim() },
  });
  form.reset();
  showMfaForm(false);
  await signIn(tokenPair);
  say('Signed in with a password and a second factor.');
}

/** Usernameless when `username` is empty: the browser offers every passkey it holds for this RP. */
async function signInWithPasskey(username) {
  const optionsJSON = await request('POST', '/auth/passkeys/options', { body: username ? { username } : {} });
  const response = await ceremony(() => startAuthentication({ optionsJSON }));
  await signIn(await request('POST', '/auth/passkeys/verify', { body: { response } }));
  say('Signed in with a passkey.');
}

async function signOut() {
  try {
    await call('POST', '/auth/logout');
    say('Signed out.');
  } finally {
    endLocally();
  }
}

/** Forgets the session here, whatever the service still knows of it. */
function endLocally() {
  tokens = null;
  me = null;
  $('#passkeys tbody').replaceChildren();
  $('#sessions tbody').replaceChildren();
  setSignedIn(false);
}

function setSignedIn(signedIn) {
  $('#signed-out').hidden = signedIn;
  $('#signed-in').hidden = !signedIn;
  // The tokens belong to the service that gave them.
  serviceInput.disabled = signedIn;
}

function showMfaForm(shown) {
  $('#mfa-form').hidden = !shown;
  $('#password-form').hidden = shown;
}

/** Runs a WebAuthn ceremony, saying why the browser ended it when it did. */
async function ceremony(run) {
  try {
    return await run();
  } catch (error) {
    // @simplewebauthn/browser's code says why, when it can tell; its passthrough code says only "see the cause".
    const code =
      error.code && error.code !== 'ERROR_PASSTHROUGH_SEE_CAUSE_PROPERTY' ? ` (${error.code})` : '';
    throw new Error(`The browser ended the passkey ceremony: ${error.name}${code}: ${error.message}`);
  }
}

// ---- step-up (RFC 9470) ----

/** Asks for the password (and a code) and calls POST /auth/reauthenticate; rejects if the user cancels. */
function stepUp(challenge) {
  const description = /error_description="([^"]*)"/.exec(challenge)?.[1] ?? 'A recent sign-in is required';
  const needsCode = me.mfaEnabled || description.includes('second factor');
  const form = $('#step-up-form');
  form.reset();
  form.elements.username.value = me.username;
  $('#step-up-reason').textContent = `${description} for this change.`;
  $('#step-up-code').hidden = !needsCode;
  form.elements.code.required = needsCode;
  $('#step-up-message').hidden = true;
  $('#step-up').showModal();
  return new Promise((resolve, reject) => {
    stepUpWaiting = { resolve, reject };
  });
}

async function confirmStepUp(form) {
  const { password, code } = form.elements;
  const body = code.required
    ? { password: password.value, code: code.value.trim() }
    : { password: password.value };
  tokens = await request('POST', '/auth/reauthenticate', { body, token: tokens.access_token });
  renderMe();
  $('#step-up').close();
  stepUpWaiting.resolve();
}

function cancelStepUp() {
  $('#step-up').close();
  stepUpWaiting?.reject(new Error('Cancelled: this change needs a recent sign-in.'));
  stepUpWaiting = null;
}

// ---- the account ----

function renderMe() {
  const claims = claimsOf(tokens.access_token);
  $('#me-username').textContent = me.username;
  const facts = [
    ['Email', `${me.email}${me.emailVerified ? '' : ' (not verified)'}`],
    ['Roles', me.roles.join(', ')],
    ['Second factor', me.mfaEnabled ? 'on' : 'off'],
    [
      'Signed in with',
      `${claims.amr.map((method) => METHODS[method] ?? method).join(', ')} (amr: ${claims.amr.join(', ')})`,
    ],
    ['Signed in at', when(claims.auth_time * 1000)],
  ];
  $('#me').replaceChildren(...facts.flatMap(([term, value]) => [el('dt', term), el('dd', value)]));
  $('#me-json').textContent = JSON.stringify(me, null, 2);
}

async function loadPasskeys() {
  const passkeys = await call('GET', '/users/me/passkeys');
  $('#passkeys tbody').replaceChildren(...passkeys.map(passkeyRow));
  $('#passkeys').hidden = passkeys.length === 0;
  $('#passkeys-empty').hidden = passkeys.length > 0;
}

function passkeyRow(passkey) {
  const name = el('td', passkey.name);
  const actions = el('div', { className: 'actions' });
  const kind =
    passkey.deviceType === 'multiDevice'
      ? `synced${passkey.backedUp ? '' : ', not backed up yet'}`
      : 'this device only';
  const row = el(
    'tr',
    name,
    el('td', { title: `deviceType ${passkey.deviceType}, backedUp ${passkey.backedUp}` }, kind),
    el('td', passkey.transports.join(', ') || '—'),
    el('td', { className: 'date' }, when(passkey.createdAt)),
    el('td', { className: 'date' }, when(passkey.lastUsedAt)),
    el('td', actions),
  );
  row.dataset.id = passkey.id;

  const showActions = () =>
    actions.replaceChildren(
      button('Rename', edit),
      button('Remove', () => removePasskey(passkey), 'danger'),
    );
  const edit = () => {
    const input = el('input', { value: passkey.name, maxLength: 64, 'aria-label': 'New name' });
    const save = button('Save', () => renamePasskey(passkey, input.value.trim()), 'primary');
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        save.click();
      } else if (event.key === 'Escape') {
        name.replaceChildren(passkey.name);
        showActions();
      }
    });
    name.replaceChildren(input);
    actions.replaceChildren(
      save,
      button('Cancel', () => {
        name.replaceChildren(passkey.name);
        showActions();
      }),
    );
    input.focus();
  };
  showActions();
  return row;
}

async function addPasskey(form) {
  const name = form.elements.name.value.trim();
  const optionsJSON = await call('POST', '/users/me/passkeys/options');
  const response = await ceremony(() => startRegistration({ optionsJSON }));
  const passkey = await call('POST', '/users/me/passkeys', name ? { response, name } : { response });
  form.reset();
  await loadPasskeys();
  say(`Passkey "${passkey.name}" added.`);
}

async function renamePasskey(passkey, name) {
  const renamed = await call('PATCH', `/users/me/passkeys/${passkey.id}`, { name });
  await loadPasskeys();
  say(`Passkey renamed "${renamed.name}".`);
}

async function removePasskey(passkey) {
  await call('DELETE', `/users/me/passkeys/${passkey.id}`);
  await loadPasskeys();
  say(`Passkey "${passkey.name}" removed. The browser or device still holds it; remove it there too.`);
}

async function loadSessions() {
  const sessions = await call('GET', '/users/me/sessions');
  $('#sessions tbody').replaceChildren(...sessions.map(sessionRow));
}

function sessionRow(session) {
  const device = el(
    'td',
    { className: 'device', title: session.userAgent ?? '' },
    deviceOf(session.userAgent),
  );
  if (session.current) {
    device.append(' ', el('span', { className: 'badge' }, 'this session'));
  }
  const row = el(
    'tr',
    device,
    el('td', session.ip ?? '—'),
    el('td', { className: 'date' }, when(session.createdAt)),
    el('td', { className: 'date' }, when(session.lastUsedAt)),
    el('td', { className: 'date' }, when(session.expiresAt)),
    el(
      'td',
      el(
        'div',
        { className: 'actions' },
        button('End', () => endSession(session), 'danger'),
      ),
    ),
  );
  row.dataset.id = session.id;
  return row;
}

async function endSession(session) {
  await call('DELETE', `/users/me/sessions/${session.id}`);
  if (session.current) {
    endLocally();
    say('This session has ended: signed out.');
    return;
  }
  await loadSessions();
  say('Session ended.');
}

/** "Chrome 131 on Linux" from a User-Agent, or the header itself when it names no browser known here. */
function deviceOf(userAgent) {
  if (!userAgent) {
    return 'unknown';
  }
  const browsers = [
    ['Edg', 'Edge'],
    ['OPR', 'Opera'],
    ['Firefox', 'Firefox'],
    ['HeadlessChrome', 'Headless Chrome'],
    ['Chrome', 'Chrome'],
    ['Version', 'Safari'],
  ];
  const systems = [
    ['Android', 'Android'],
    ['iPhone', 'iOS'],
    ['iPad', 'iPadOS'],
    ['Windows', 'Windows'],
    ['Mac OS X', 'macOS'],
    ['Linux', 'Linux'],
  ];
  const browser = browsers
    .map(([token, label]) => [label, new RegExp(`\\b${token}/(\\d+)`).exec(userAgent)?.[1]])
    .find(([, version]) => version);
  const system = systems.find(([token]) => userAgent.includes(token))?.[1];
  if (!browser) {
    return userAgent.length > 40 ? `${userAgent.slice(0, 40)}…` : userAgent;
  }
  return `${browser[0]} ${browser[1]}${system ? ` on ${system}` : ''}`;
}

// ---- the page ----

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const when = (time) => (time ? dateFormat.format(new Date(time)) : '—');

/** An element with optional properties (a plain object first) and children. */
function el(tag, ...rest) {
  const element = document.createElement(tag);
  const isProperties = rest[0] && typeof rest[0] === 'object' && !(rest[0] instanceof Node);
  const properties = isProperties ? rest.shift() : {};
  for (const [name, value] of Object.entries(properties)) {
    if (name.includes('-')) {
      element.setAttribute(name, value);
    } else {
      element[name] = value;
    }
  }
  element.append(...rest);
  return element;
}

function button(label, action, className = '') {
  const element = el('button', { type: 'button', className }, label);
  element.addEventListener('click', () => run(element, action));
  return element;
}

/** Runs what a control does, with the control disabled meanwhile and any failure shown on the page. */
async function run(control, action, where = $('#message')) {
  where.hidden = true;
  control.disabled = true;
  try {
    await action();
  } catch (error) {
    say(error.message, 'error', where);
  } finally {
    control.disabled = false;
  }
}

function say(text, kind = 'info', where = $('#message')) {
  where.textContent = text;
  where.className = kind;
  where.hidden = false;
}

let callsMade = 0;

/** The calls made, newest first (the last 12), as a developer would read them in the network panel. */
function log(method, path, status, detail = '') {
  callsMade += 1;
  const kind = typeof status === 'number' && status < 400 ? 'ok' : 'failed';
  const entry = el(
    'li',
    el('span', { className: `status ${kind}` }, String(status)),
    ' ',
    el('code', `${method} ${path}`),
    detail ? ` ${detail}` : '',
  );
  const list = $('#log');
  list.prepend(entry);
  list.start = callsMade;
  while (list.children.length > 12) {
    list.lastElementChild.remove();
  }
}

/** Says so when the service URL is one this page's Content-Security-Policy will not let it reach. */
function checkServiceUrl() {
  const value = serviceBase();
  const origin = URL.canParse(value) ? new URL(value).origin : undefined;
  const note = $('#service-note');
  note.hidden = origin === allowedOrigin;
  note.textContent = origin
    ? `This page's Content-Security-Policy lets it connect to ${allowedOrigin} only: to use ${origin}, start the ` +
      `example server with SERVICE_URL=${origin}.`
    : `"${value}" is not a URL.`;
}

/** A form's submit runs `action(form)` through run(), with its submit button as the control. */
function onSubmit(selector, action, where) {
  const form = $(selector);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void run(event.submitter ?? form.querySelector('[type="submit"]'), () => action(form), where);
  });
}

onSubmit('#password-form', signInWithPassword);
onSubmit('#mfa-form', signInWithCode);
onSubmit('#passkey-username-form', (form) => signInWithPasskey(form.elements.username.value.trim()));
onSubmit('#passkey-add-form', addPasskey);
$('#passkey-sign-in').addEventListener('click', (event) =>
  run(event.currentTarget, () => signInWithPasskey('')),
);
$('#sign-out').addEventListener('click', (event) => run(event.currentTarget, signOut));
$('#mfa-cancel').addEventListener('click', () => {
  mfaToken = null;
  showMfaForm(false);
});

onSubmit('#step-up-form', confirmStepUp, $('#step-up-message'));
$('#step-up-cancel').addEventListener('click', cancelStepUp);
// Escape closes the dialog as Cancel does.
$('#step-up').addEventListener('cancel', (event) => {
  event.preventDefault();
  cancelStepUp();
});

serviceInput.addEventListener('input', checkServiceUrl);
checkServiceUrl();
if (!browserSupportsWebAuthn()) {
  $('#passkey-sign-in').disabled = true;
  say('This browser has no WebAuthn: passkeys cannot be used here.', 'error');
}
