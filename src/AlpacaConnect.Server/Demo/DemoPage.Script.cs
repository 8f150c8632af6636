namespace AlpacaConnect.Server;

public static partial class DemoPage
{
    /// <summary>The page's script: vanilla JS, no build step. Everything shown is set as text, never as HTML.</summary>
    private const string Script = """
'use strict';

(() => {
  // Local Development page only: the function key comes from the page itself (see DemoPage.MapDemo).
  const functionKey = document.querySelector('meta[name="functions-key"]').content;
  const $ = (id) => document.getElementById(id);
  const TERMINAL = new Set(['filled', 'canceled', 'expired', 'rejected', 'failed']);
  const POLL_MS = 1000;

  // Where each problem+json error key is shown on the page.
  const FIELDS = {
    'user_id': 'user-id',
    'env': 'env',
    'order.symbol': 'symbol',
    'order.side': 'side',
    'order.type': 'type',
    'order.time_in_force': 'time-in-force',
    'order.qty': 'qty',
    'order.notional': 'notional',
    'order.limit_price': 'limit-price',
    'order.stop_price': 'stop-price',
  };

  const CONNECT_RESULTS = {
    access_denied: 'You declined the connection on Alpaca\'s consent page, so nothing was linked. Click "Connect with Alpaca" to try again.',
    expired: 'The sign-in took too long and the attempt expired. Click "Connect with Alpaca" to start again.',
    authorization_failed: 'Alpaca did not authorize the app. Click "Connect with Alpaca" to try again.',
    exchange_failed: 'Alpaca approved the connection, but the Server could not exchange the code for a token. Check the Server\'s log (client secret, Sandbox URL).',
    account_unavailable: 'Alpaca approved the connection, but the account could not be read. Try again in a moment.',
    account_already_connected: 'This Alpaca account is already connected to another user of the app, so it was not linked again. Sign in at Alpaca as another user, or disconnect the other user first.',
  };

  // ---- small helpers -------------------------------------------------------------------------

  /** Builds an element; children are nodes or strings (set as text, never parsed as HTML). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'class') el.className = value;
      else if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
      else el.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      el.append(child instanceof Node ? child : String(child));
    }
    return el;
  }

  /** fetch() with the key; answers { ok, status, data } and never throws. */
  async function api(method, path, body, headers) {
    const init = { method, headers: { 'x-functions-key': functionKey, 'accept': 'application/json', ...(headers || {}) } };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return send(path, init);
  }

  /** fetch() as given (no key added); answers { ok, status, data } and never throws. */
  async function send(path, init) {
    let response;
    try {
      response = await fetch(path, init);
    } catch (err) {
      return { ok: false, status: 0, data: null, error: String(err && err.message || err) };
    }
    const text = await response.text();
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch { data = text; }
    }
    return { ok: response.ok, status: response.status, data };
  }

  function newKey() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID();
    return 'demo-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2);
  }

  function formatTime(value) {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleTimeString([], { hour12: false }) + '.' + String(date.getMilliseconds()).padStart(3, '0');
  }

  function formatDate(value) {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString([], { hour12: false });
  }

  function show(el, visible) { el.hidden = !visible; }

  function notice(el, kind, title, ...lines) {
    el.className = 'notice ' + kind;
    el.replaceChildren(h('strong', null, title), ...lines.filter(Boolean).map((line) => h('p', null, line)));
    show(el, true);
  }

  function userId() { return $('user-id').value.trim(); }
  function env() { return $('env').value; }

  // ---- problems (RFC 9457) -------------------------------------------------------------------

  function clearFieldErrors(fields = FIELDS) {
    for (const id of new Set(Object.values(fields))) {
      const input = $(id);
      const message = $(id + '-error');
      if (input) { input.classList.remove('invalid'); input.removeAttribute('aria-invalid'); }
      if (message) { message.textContent = ''; show(message, false); }
    }
  }

  /** Marks a field invalid and shows text beside it (added to what is there). */
  function markField(id, text) {
    const input = $(id);
    const message = $(id + '-error');
    if (input) { input.classList.add('invalid'); input.setAttribute('aria-invalid', 'true'); }
    if (message) { message.textContent = message.textContent ? message.textContent + ' ' + text : text; show(message, true); }
  }

  function fieldLabel(key, fields) {
    const id = fields[key];
    const label = id && document.querySelector('label[for="' + id + '"]');
    if (!label) return key;
    const text = (label.firstChild && label.firstChild.textContent || label.textContent).trim().replace(/^or\s+/i, '');
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  /** Renders a failed api() answer into el: title, detail, and every field error (also beside its field, per the map given). */
  function showProblem(el, result, what, fields = FIELDS) {
    if (result.status === 0) {
      notice(el, 'error', 'Could not reach the Server.', result.error || 'The request did not complete.');
      return;
    }
    const problem = result.data && typeof result.data === 'object' ? result.data : {};
    const title = problem.title || (what + ' failed (HTTP ' + result.status + ').');
    const lines = [];
    if (problem.detail) lines.push(problem.detail);
    if (result.status === 401) lines.push('The page\'s function key was refused. Reload the page (the Server may have restarted with a new key).');
    if (typeof result.data === 'string' && result.data) lines.push(result.data.slice(0, 500));
    notice(el, 'error', title + ' (HTTP ' + result.status + ')', ...lines);

    const errors = problem.errors && typeof problem.errors === 'object' ? problem.errors : null;
    if (!errors) return;
    const list = h('ul', { class: 'problem-errors' });
    for (const [key, messages] of Object.entries(errors)) {
      const text = (Array.isArray(messages) ? messages : [messages]).join(' ');
      list.append(h('li', { 'data-field': key }, h('span', { class: 'field-name' }, fieldLabel(key, fields)), h('code', null, key), ' ', text));
      if (fields[key]) markField(fields[key], text);
    }
    el.append(list);
  }

  // ---- 1. connect ----------------------------------------------------------------------------

  async function connect(event) {
    event.preventDefault();
    clearFieldErrors();
    const status = $('connection-status');
    const id = userId();
    if (!id) {
      notice(status, 'error', 'Enter a user id first.', 'It is your app\'s own id for the person connecting (letters, digits and . _ - @ +).');
      $('user-id').focus();
      return;
    }
    remember();
    // Come back to this page, with the user id, so the result can be shown for the right user.
    const returnUrl = new URL(window.location.pathname, window.location.origin);
    returnUrl.searchParams.set('user_id', id);
    returnUrl.searchParams.set('env', env());

    $('connect').disabled = true;
    notice(status, 'info', 'Creating a connect link...');
    const result = await api('POST', '/api/connect-links', { user_id: id, env: env(), return_url: returnUrl.href });
    if (result.status === 201 && result.data && result.data.url) {
      notice(status, 'info', 'Opening Alpaca\'s consent page...', 'The link is single-use and expires at ' + formatDate(result.data.expires_at) + '.');
      window.location.assign(result.data.url);
      return;
    }
    $('connect').disabled = false;
    showProblem(status, result, 'Creating the connect link');
  }

  /** Shows what the consent flow answered (?alpaca_connect=connected|error&reason=...&env=...), then tidies the URL. */
  function showConnectResult(params) {
    const result = params.get('alpaca_connect');
    if (!result) return;
    const status = $('connection-status');
    const who = params.get('user_id') || 'the user';
    const where = params.get('env') || 'paper';
    if (result === 'connected') {
      notice(status, 'success', 'Connected.', who + '\'s ' + where + ' account is linked. You can place trades for ' + who + ' now.');
    } else {
      const reason = params.get('reason') || 'unknown';
      const message = CONNECT_RESULTS[reason] || 'The connection did not complete (reason: ' + reason + ').';
      notice(status, reason === 'access_denied' ? 'warning' : 'error',
        reason === 'access_denied' ? 'Not connected.' : 'Connection failed.', message);
    }
    status.dataset.result = result;
    status.dataset.reason = params.get('reason') || '';

    const clean = new URL(window.location.href);
    for (const name of ['alpaca_connect', 'reason']) clean.searchParams.delete(name);
    window.history.replaceState(null, '', clean.pathname + clean.search);
  }

  function remember() {
    try {
      sessionStorage.setItem('demo.userId', userId());
      sessionStorage.setItem('demo.env', env());
    } catch { /* storage may be off; the return URL carries the user id too */ }
  }

  // ---- 2. connections ------------------------------------------------------------------------

  async function loadConnections() {
    const box = $('connections');
    const id = userId();
    if (!id) {
      box.replaceChildren(h('p', { class: 'muted' }, 'Enter a user id to see its connections.'));
      return;
    }
    box.replaceChildren(h('p', { class: 'muted' }, 'Loading connections for ' + id + '...'));
    const result = await api('GET', '/api/connections/' + encodeURIComponent(id));
    if (!result.ok) {
      const holder = h('div');
      box.replaceChildren(holder);
      showProblem(holder, result, 'Loading connections');
      return;
    }
    const connections = (result.data && result.data.connections) || [];
    if (connections.length === 0) {
      box.replaceChildren(h('p', { class: 'muted', id: 'no-connections' }, id + ' has no connections yet. Connect an account above.'));
      return;
    }
    const rows = connections.map((c) => h('tr', { 'data-env': c.env, 'data-status': c.status },
      h('td', null, c.env),
      h('td', null, h('span', { class: 'badge status-' + c.status }, c.status)),
      h('td', null, c.account_number || '-', h('div', { class: 'muted small' }, c.account_id || '')),
      h('td', null, c.account_status || '-'),
      h('td', null, c.scopes || '-'),
      h('td', null, c.connected_at ? formatDate(c.connected_at) : '-')));
    box.replaceChildren(h('table', { class: 'data', id: 'connections-table' },
      h('thead', null, h('tr', null, ['Env', 'Status', 'Account', 'Account status', 'Scopes', 'Connected'].map((t) => h('th', null, t)))),
      h('tbody', null, rows)));
  }

  // ---- 3. place a trade ----------------------------------------------------------------------

  function readOrder() {
    const order = {
      symbol: $('symbol').value.trim(),
      side: $('side').value,
      type: $('type').value,
      time_in_force: $('time-in-force').value,
    };
    // Sizes and prices go as the text typed: the Server validates them (and says what is wrong).
    const optional = { qty: 'qty', notional: 'notional', limit_price: 'limit-price', stop_price: 'stop-price' };
    for (const [name, id] of Object.entries(optional)) {
      const value = $(id).value.trim();
      if (value !== '') order[name] = value;
    }
    return order;
  }

  async function placeOrder(event) {
    event.preventDefault();
    clearFieldErrors();
    const errors = $('errors');
    show(errors, false);
    if (!userId()) {
      notice(errors, 'error', 'Enter a user id first.', 'Trades are placed for a connected user (section 1).');
      return;
    }
    remember();
    const button = $('place-order');
    button.disabled = true;
    const result = await api('POST', '/api/trades', { user_id: userId(), env: env(), order: readOrder() }, { 'Idempotency-Key': newKey() });
    button.disabled = false;
    if (result.status === 202 && result.data && result.data.id) {
      track(result.data.id);
      return;
    }
    showProblem(errors, result, 'Placing the order');
    errors.scrollIntoView({ block: 'nearest' });
  }

  // ---- 4. trade status -----------------------------------------------------------------------

  let trackedId = null;
  let pollTimer = null;

  function track(id) {
    trackedId = id;
    clearTimeout(pollTimer);
    show($('trade-empty'), false);
    show($('trade-details'), true);
    show($('trade-error'), false);
    $('trade-id').textContent = id;
    $('trade-status').textContent = 'accepted';
    $('trade-status').className = 'badge status-accepted';
    $('trade-history').replaceChildren();
    poll(id);
  }

  async function poll(id) {
    const result = await api('GET', '/api/trades/' + encodeURIComponent(id));
    if (id !== trackedId) return;
    const error = $('trade-error');
    if (!result.ok) {
      showProblem(error, result, 'Reading the trade');
      if (result.status === 404 || result.status === 401) { $('trade-polling').textContent = 'Stopped watching.'; return; }
      pollTimer = setTimeout(() => poll(id), POLL_MS);
      return;
    }
    show(error, false);
    renderTrade(result.data);
    if (TERMINAL.has(result.data.status)) {
      $('trade-polling').textContent = 'Final.';
      show($('cancel-trade'), false);
      return;
    }
    $('trade-polling').textContent = 'Watching: checks every second...';
    pollTimer = setTimeout(() => poll(id), POLL_MS);
  }

  function renderTrade(trade) {
    const status = $('trade-status');
    status.textContent = trade.status;
    status.className = 'badge status-' + trade.status;
    const o = trade.order || {};
    const size = o.qty !== undefined ? o.qty + ' ' + o.symbol : '$' + o.notional + ' of ' + o.symbol;
    const prices = [o.limit_price && 'limit ' + o.limit_price, o.stop_price && 'stop ' + o.stop_price].filter(Boolean).join(', ');
    $('trade-summary').textContent = [o.side, size, o.type + (prices ? ' (' + prices + ')' : ''), o.time_in_force, trade.env].filter(Boolean).join(' \u00b7 ');
    $('trade-fill').textContent = trade.filled_qty && Number(trade.filled_qty) > 0
      ? trade.filled_qty + ' @ ' + (trade.filled_avg_price || '?') + (trade.filled_at ? ' at ' + formatTime(trade.filled_at) : '')
      : '-';
    $('trade-alpaca').textContent = trade.alpaca_order_id ? trade.alpaca_order_id + ' (' + (trade.alpaca_status || '?') + ')' : 'not yet at Alpaca';
    $('trade-reason').textContent = trade.reason || '-';
    show($('cancel-trade'), !TERMINAL.has(trade.status) && !trade.cancel_requested);
    $('trade-history').replaceChildren(...(trade.history || []).map((e) =>
      h('li', { 'data-status': e.status },
        h('time', { datetime: e.at }, formatTime(e.at)),
        h('span', { class: 'badge status-' + e.status }, e.status),
        e.detail ? h('span', { class: 'detail' }, e.detail) : null)));
  }

  async function cancelTrade() {
    if (!trackedId) return;
    $('cancel-trade').disabled = true;
    const result = await api('DELETE', '/api/trades/' + encodeURIComponent(trackedId));
    $('cancel-trade').disabled = false;
    if (!result.ok) showProblem($('trade-error'), result, 'Canceling the trade');
    else renderTrade(result.data);
  }

  // ---- 5. webhook deliveries -----------------------------------------------------------------

  /** Whatever list the API answers: an array, or the first array property of an object. */
  function asList(data) {
    if (Array.isArray(data)) return data;
    if (data && typeof data === 'object') {
      for (const name of ['subscriptions', 'deliveries', 'items', 'value', 'data', 'results']) {
        if (Array.isArray(data[name])) return data[name];
      }
      const arrays = Object.values(data).filter(Array.isArray);
      if (arrays.length === 1) return arrays[0];
      return [data];
    }
    return data === null || data === undefined ? [] : [data];
  }

  function cell(value) {
    if (value === null || value === undefined) return '-';
    if (typeof value === 'object') return h('code', null, JSON.stringify(value));
    if (typeof value === 'string' && /^\d{4}-\d\d-\d\dT/.test(value)) return formatDate(value);
    return String(value);
  }

  /** A table of records (the union of their keys), or the JSON when they are not objects. */
  function records(list) {
    if (list.length === 0) return h('p', { class: 'muted' }, 'None.');
    if (!list.every((r) => r && typeof r === 'object' && !Array.isArray(r))) {
      return h('pre', null, JSON.stringify(list, null, 2));
    }
    const keys = [...new Set(list.flatMap((r) => Object.keys(r)))];
    return h('div', { class: 'scroll' }, h('table', { class: 'data' },
      h('thead', null, h('tr', null, keys.map((k) => h('th', null, k)))),
      h('tbody', null, list.map((r) => h('tr', null, keys.map((k) => h('td', null, cell(r[k]))))))));
  }

  async function loadWebhooks() {
    const box = $('webhooks');
    box.replaceChildren(h('p', { class: 'muted' }, 'Loading webhook subscriptions...'));
    const result = await api('GET', '/api/webhooks/subscriptions');
    if (result.status === 404) {
      box.replaceChildren(h('p', { class: 'muted', id: 'webhooks-unavailable' },
        'Webhooks not available on this Server (GET /api/webhooks/subscriptions answered 404).'));
      return;
    }
    if (!result.ok) {
      const holder = h('div');
      box.replaceChildren(holder);
      showProblem(holder, result, 'Loading webhook subscriptions');
      return;
    }
    const subscriptions = asList(result.data);
    if (subscriptions.length === 0) {
      box.replaceChildren(h('p', { class: 'muted' }, 'No webhook subscriptions.'));
      return;
    }
    box.replaceChildren(...subscriptions.map(subscription));
  }

  function subscription(sub) {
    const isObject = sub && typeof sub === 'object';
    const id = isObject ? (sub.id ?? sub.subscription_id) : null;
    const deliveries = h('div', { class: 'deliveries' });
    const facts = isObject
      ? h('dl', { class: 'facts' }, Object.entries(sub).flatMap(([k, v]) => [h('dt', null, k), h('dd', null, cell(v))]))
      : h('pre', null, JSON.stringify(sub));
    const button = id === null || id === undefined ? null : h('button', {
      type: 'button', class: 'small',
      onclick: async () => {
        deliveries.replaceChildren(h('p', { class: 'muted' }, 'Loading deliveries...'));
        const r = await api('GET', '/api/webhooks/subscriptions/' + encodeURIComponent(id) + '/deliveries');
        if (r.status === 404) {
          deliveries.replaceChildren(h('p', { class: 'muted' }, (r.data && r.data.detail) || 'No deliveries found for this subscription (404).'));
        } else if (!r.ok) {
          const holder = h('div');
          deliveries.replaceChildren(holder);
          showProblem(holder, r, 'Loading deliveries');
        } else {
          deliveries.replaceChildren(h('h4', null, 'Deliveries'), records(asList(r.data)));
        }
      },
    }, 'Show deliveries');
    return h('article', { class: 'subscription' },
      h('h3', null, id === null || id === undefined ? 'Subscription' : 'Subscription ' + id, button ? ' ' : null, button),
      facts, deliveries);
  }

  // ---- 6. signals ----------------------------------------------------------------------------

  // Where the hook's and the subscription's problem+json error keys are shown.
  const HOOK_FIELDS = {
    'user_id': 'user-id',
    'env': 'env',
    'rules.max_qty': 'signal-max-qty',
    'sizing.value': 'signal-qty',
  };
  const SIGNAL_FINAL = new Set(['completed', 'refused', 'failed']);
  const SIGNAL_POLL_ROUNDS = 90;

  // The hook just created. Its URL holds the secret, which the API shows once: it lives only in
  // this page's memory (never in storage or the address bar).
  let hook = null;
  let trackedSignal = null;
  let signalTimer = null;

  /** The number typed in a field when it is one greater than 0; otherwise marks the field and answers null. */
  function positiveNumber(id) {
    const text = $(id).value.trim();
    const value = Number(text);
    if (text !== '' && Number.isFinite(value) && value > 0) return value;
    markField(id, 'A number greater than 0.');
    return null;
  }

  /** A TradingView-style alert in TradersPost's vocabulary; with an id, each copy is a signal of its own. */
  function alertBody(alertId) {
    const body = { ticker: hook.ticker, action: 'buy', quantity: hook.shares };
    if (alertId) body.id = alertId;
    return body;
  }

  /** One POSIX shell word: single-quoted, a single quote inside written as '\'' . */
  function shellQuote(text) {
    return "'" + String(text).replace(/'/g, "'\\''") + "'";
  }

  function curlFor(url, body) {
    return ['curl', '-s', '-X', 'POST', '-H', shellQuote('content-type: text/plain'),
      '--data-raw', shellQuote(JSON.stringify(body)), shellQuote(url)].join(' ');
  }

  async function createHook(event) {
    event.preventDefault();
    clearFieldErrors(HOOK_FIELDS);
    clearFieldErrors({ ticker: 'signal-symbol' });
    const errors = $('hook-errors');
    show(errors, false);
    const id = userId();
    if (!id) {
      notice(errors, 'error', 'Enter a user id first.', 'The hook is followed by that user\'s connection (section 1).');
      return;
    }
    const ticker = $('signal-symbol').value.trim();
    if (!ticker) markField('signal-symbol', 'Required: the symbol the alert names.');
    const shares = positiveNumber('signal-qty');
    const maxQty = positiveNumber('signal-max-qty');
    if (!ticker || shares === null || maxQty === null) {
      notice(errors, 'error', 'Check the fields marked below.');
      return;
    }
    remember();
    const button = $('create-hook');
    button.disabled = true;
    const created = await api('POST', '/api/signal-hooks', { name: 'demo ' + id, rules: { max_qty: maxQty } });
    if (created.status !== 201 || !created.data || !created.data.url) {
      button.disabled = false;
      showProblem(errors, created, 'Creating the signal hook', HOOK_FIELDS);
      return;
    }
    hook = { id: created.data.id, url: created.data.url, ticker, shares };
    trackedSignal = null;
    clearTimeout(signalTimer);
    show($('signal-details'), false);
    $('hook-id').textContent = hook.id;
    $('hook-follower').textContent = 'subscribing ' + id + ' (' + env() + ')...';
    $('alert-url').value = hook.url;
    $('alert-curl').value = curlFor(hook.url, alertBody());
    $('fire-alert').disabled = true;
    show($('hook-details'), true);

    const followed = await api('PUT', '/api/signal-hooks/' + encodeURIComponent(hook.id) + '/subscribers/'
      + encodeURIComponent(id) + '/' + encodeURIComponent(env()), { sizing: { kind: 'fixed_quantity', value: shares }, enabled: true });
    button.disabled = false;
    if (!followed.ok || !followed.data) {
      $('hook-follower').textContent = 'not following: see the error above';
      showProblem(errors, followed, 'Following the hook', HOOK_FIELDS);
      return;
    }
    const f = followed.data;
    const sizing = f.sizing || {};
    $('hook-follower').textContent = f.user_id + ' (' + f.env + '), ' + sizing.value + ' ' + (sizing.kind === 'fixed_quantity' ? 'shares' : sizing.kind) + ' per alert'
      + (f.enabled ? '' : ', disabled');
    $('hook-follower').dataset.user = f.user_id;
    $('fire-alert').disabled = false;
  }

  async function fireAlert() {
    if (!hook) return;
    const errors = $('hook-errors');
    show(errors, false);
    // As TradingView would send it: a text/plain body and no key. Posted to this Server (the alert
    // URL's path: its origin is the Server's public one, which may be a tunnel).
    let path = null;
    try { path = new URL(hook.url, window.location.origin).pathname; } catch { /* checked below */ }
    if (!path || !path.startsWith('/api/signals/')) {
      notice(errors, 'error', 'The alert URL is not an /api/signals/ URL, so the page does not post to it.');
      return;
    }
    $('fire-alert').disabled = true;
    const result = await send(path, {
      method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(alertBody('demo-' + newKey())),
    });
    $('fire-alert').disabled = false;
    if (result.status === 202 && result.data && result.data.signal_id) {
      trackSignal(result.data.signal_id, result.data.duplicate === true);
      return;
    }
    showProblem(errors, result, 'Sending the alert', {});
  }

  function trackSignal(id, duplicate) {
    trackedSignal = id;
    clearTimeout(signalTimer);
    show($('signal-details'), true);
    show($('signal-error'), false);
    show($('signal-reason'), false);
    $('signal-id').textContent = id;
    $('signal-status').textContent = duplicate ? 'duplicate' : 'queued';
    $('signal-status').className = 'badge status-queued';
    $('signal-outcomes').replaceChildren();
    pollSignal(id, 0);
  }

  /** Final when the fan-out is done and every trade it placed has a final status. */
  function signalFinal(detail) {
    const signal = detail.signal || {};
    return SIGNAL_FINAL.has(signal.status)
      && (detail.outcomes || []).every((o) => (o.trades || []).every((t) => TERMINAL.has(t.status)));
  }

  async function pollSignal(id, round) {
    const result = await api('GET', '/api/signals/' + encodeURIComponent(id));
    if (id !== trackedSignal) return;
    const error = $('signal-error');
    if (!result.ok || !result.data || typeof result.data !== 'object') {
      showProblem(error, result, 'Reading the signal', {});
      if (result.status === 404 || result.status === 401) { $('signal-polling').textContent = 'Stopped watching.'; return; }
      signalTimer = setTimeout(() => pollSignal(id, round + 1), POLL_MS);
      return;
    }
    show(error, false);
    renderSignal(result.data);
    if (signalFinal(result.data)) {
      $('signal-polling').textContent = 'Final.';
      return;
    }
    if (round >= SIGNAL_POLL_ROUNDS) {
      $('signal-polling').textContent = 'Stopped watching (not final yet): GET /api/signals/' + id + ' shows it.';
      return;
    }
    $('signal-polling').textContent = 'Watching: checks every second...';
    signalTimer = setTimeout(() => pollSignal(id, round + 1), POLL_MS);
  }

  function renderSignal(detail) {
    const signal = detail.signal || {};
    const status = $('signal-status');
    status.textContent = signal.status || '?';
    status.className = 'badge status-' + signal.status;
    const reason = $('signal-reason');
    reason.textContent = signal.reason ? 'Reason: ' + signal.reason : '';
    show(reason, Boolean(signal.reason));
    const outcomes = detail.outcomes || [];
    const box = $('signal-outcomes');
    if (outcomes.length === 0) {
      box.replaceChildren(h('p', { class: 'muted', id: 'no-outcomes' }, SIGNAL_FINAL.has(signal.status)
        ? 'No subscriber outcomes: nobody followed the hook when the signal fanned out.'
        : 'Waiting for the fan-out...'));
      return;
    }
    const rows = outcomes.map((o) => h('tr', { 'data-user': o.user_id, 'data-env': o.env, 'data-status': o.status },
      h('td', null, o.user_id, h('div', { class: 'muted small' }, o.env)),
      h('td', null, h('span', { class: 'badge status-' + o.status }, o.status)),
      h('td', null, (o.trades || []).length === 0 ? '-' : (o.trades || []).map((t) =>
        h('div', { class: 'outcome-trade', 'data-trade-id': t.id, 'data-trade-status': t.status || '' },
          h('code', null, t.id), ' ',
          h('span', { class: 'badge status-' + (t.status || 'unknown') }, t.status || 'unknown'),
          t.filled_qty && Number(t.filled_qty) > 0 ? ' ' + t.filled_qty + ' filled' : null,
          t.reason ? h('div', { class: 'muted small' }, t.reason) : null)),
        (o.canceled_order_ids || []).length ? h('div', { class: 'muted small' }, 'canceled at Alpaca: ' + o.canceled_order_ids.join(', ')) : null),
      h('td', { class: 'outcome-reason' }, o.reason || '-')));
    box.replaceChildren(h('div', { class: 'scroll' }, h('table', { class: 'data', id: 'signal-outcomes-table' },
      h('thead', null, h('tr', null, ['Subscriber', 'Outcome', 'Trades', 'Reason'].map((t) => h('th', null, t)))),
      h('tbody', null, rows))));
  }

  // ---- 7. schedules --------------------------------------------------------------------------

  const SCHEDULE_FIELDS = {
    'user_id': 'user-id',
    'env': 'env',
    'cron': 'schedule-cron',
    'time_zone': 'schedule-time-zone',
    'order': 'schedule-symbol',
    'order.symbol': 'schedule-symbol',
    'order.qty': 'schedule-notional',
    'order.notional': 'schedule-notional',
    'market_closed': 'schedule-market-closed',
  };
  const OCCURRENCES_POLL_MS = 2000;

  let selectedSchedule = null;
  let occurrencesTimer = null;
  let occurrencesSeen = null;

  function orderText(o) {
    if (!o || typeof o !== 'object') return '-';
    const size = o.notional !== undefined && o.notional !== null ? '$' + o.notional + ' of ' : (o.qty || '?') + ' ';
    return [o.side, size + o.symbol, o.type, o.time_in_force].filter(Boolean).join(' ');
  }

  async function createSchedule(event) {
    event.preventDefault();
    clearFieldErrors(SCHEDULE_FIELDS);
    const errors = $('schedule-errors');
    show(errors, false);
    if (!userId()) {
      notice(errors, 'error', 'Enter a user id first.', 'Schedules place trades for a connected user (section 1).');
      return;
    }
    remember();
    const order = { symbol: $('schedule-symbol').value.trim(), side: 'buy', type: 'market', time_in_force: 'day' };
    const notional = $('schedule-notional').value.trim();
    if (notional !== '') order.notional = notional;
    const body = {
      user_id: userId(), env: env(),
      cron: $('schedule-cron').value.trim(),
      time_zone: $('schedule-time-zone').value.trim(),
      market_closed: $('schedule-market-closed').value,
      order,
    };
    const button = $('create-schedule');
    button.disabled = true;
    const result = await api('POST', '/api/schedules', body);
    button.disabled = false;
    if (result.status === 201 && result.data && result.data.id) {
      await loadSchedules();
      selectSchedule(result.data.id);
      return;
    }
    showProblem(errors, result, 'Creating the schedule', SCHEDULE_FIELDS);
  }

  async function loadSchedules() {
    const box = $('schedules');
    const id = userId();
    if (!id) {
      box.replaceChildren(h('p', { class: 'muted' }, 'Enter a user id to see its schedules.'));
      return;
    }
    const result = await api('GET', '/api/schedules?user_id=' + encodeURIComponent(id) + '&env=' + encodeURIComponent(env()));
    if (id !== userId()) return;
    if (!result.ok || !result.data || typeof result.data !== 'object') {
      const holder = h('div');
      box.replaceChildren(holder);
      showProblem(holder, result, 'Loading schedules', {});
      return;
    }
    const schedules = result.data.schedules || [];
    if (schedules.length === 0) {
      box.replaceChildren(h('p', { class: 'muted', id: 'no-schedules' }, id + ' has no ' + env() + ' schedules yet.'));
      return;
    }
    const rows = schedules.map((s) => h('tr', { 'data-id': s.id, 'data-status': s.status, class: s.id === selectedSchedule ? 'selected' : null },
      h('td', null, h('code', null, s.cron), h('div', { class: 'muted small' }, s.time_zone)),
      h('td', null, orderText(s.order)),
      h('td', null, h('span', { class: 'badge status-' + s.status }, s.status),
        s.paused_reason ? h('div', { class: 'muted small paused-reason' }, s.paused_reason) : null),
      h('td', { class: 'next-run' }, s.next_run_at ? formatDate(s.next_run_at) : '-'),
      h('td', { class: 'placed' }, String(s.placed ?? 0)),
      h('td', { class: 'actions-cell' },
        h('button', { type: 'button', class: 'small', 'data-action': 'occurrences', 'aria-label': 'Show the occurrences of schedule ' + s.id, onclick: () => selectSchedule(s.id) }, 'Occurrences'),
        s.status === 'active' ? h('button', { type: 'button', class: 'small', 'data-action': 'pause', 'aria-label': 'Pause schedule ' + s.id, onclick: () => scheduleAction(s.id, 'pause') }, 'Pause') : null,
        s.status === 'paused' ? h('button', { type: 'button', class: 'small', 'data-action': 'resume', 'aria-label': 'Resume schedule ' + s.id, onclick: () => scheduleAction(s.id, 'resume') }, 'Resume') : null,
        h('button', { type: 'button', class: 'small', 'data-action': 'delete', 'aria-label': 'Delete schedule ' + s.id, onclick: () => scheduleAction(s.id, 'delete') }, 'Delete'))));
    box.replaceChildren(h('div', { class: 'scroll' }, h('table', { class: 'data', id: 'schedules-table' },
      h('thead', null, h('tr', null, ['Recurrence', 'Order', 'Status', 'Next run', 'Placed', ''].map((t) => h('th', null, t)))),
      h('tbody', null, rows))));
  }

  async function scheduleAction(id, action) {
    const errors = $('schedule-errors');
    show(errors, false);
    const path = '/api/schedules/' + encodeURIComponent(id);
    const result = action === 'delete' ? await api('DELETE', path) : await api('POST', path + '/' + action);
    if (!result.ok) showProblem(errors, result, action.charAt(0).toUpperCase() + action.slice(1) + ' the schedule', SCHEDULE_FIELDS);
    else if (action === 'delete' && id === selectedSchedule) selectSchedule(null);
    await loadSchedules();
  }

  function selectSchedule(id) {
    selectedSchedule = id;
    occurrencesSeen = null;
    clearTimeout(occurrencesTimer);
    for (const row of document.querySelectorAll('#schedules-table tbody tr')) row.classList.toggle('selected', row.dataset.id === id);
    show($('occurrences-panel'), Boolean(id));
    $('occurrences').replaceChildren();
    if (!id) return;
    $('occurrences-title').textContent = 'Occurrences of ' + id;
    $('occurrences').replaceChildren(h('p', { class: 'muted' }, 'Loading occurrences...'));
    loadOccurrences(id);
  }

  /** The selected schedule's occurrences, refreshed every 2 s while it is selected (the timer adds them). */
  async function loadOccurrences(id) {
    const result = await api('GET', '/api/schedules/' + encodeURIComponent(id) + '/occurrences');
    if (id !== selectedSchedule) return;
    const box = $('occurrences');
    if (!result.ok || !result.data || typeof result.data !== 'object') {
      const holder = h('div');
      box.replaceChildren(holder);
      showProblem(holder, result, 'Loading occurrences', {});
      if (result.status !== 404 && result.status !== 401) occurrencesTimer = setTimeout(() => loadOccurrences(id), OCCURRENCES_POLL_MS);
      return;
    }
    const list = result.data.occurrences || [];
    if (list.length === 0) {
      box.replaceChildren(h('p', { class: 'muted', id: 'no-occurrences' }, 'None yet: the timer places each occurrence when it falls due (refreshing every 2 s).'));
    } else {
      const rows = list.map((o) => h('tr', { 'data-outcome': o.outcome, 'data-trade-status': o.trade_status || '' },
        h('td', null, h('time', { datetime: o.occurrence_at }, formatDate(o.occurrence_at))),
        h('td', null, h('span', { class: 'badge status-' + o.outcome }, o.outcome)),
        h('td', { class: 'occurrence-trade' }, o.trade_id
          ? [h('code', null, o.trade_id), ' ', h('span', { class: 'badge status-' + (o.trade_status || 'unknown') }, o.trade_status || 'unknown')]
          : '-'),
        h('td', { class: 'occurrence-reason' }, o.reason ? o.reason + (o.count > 1 ? ' (' + o.count + ' occurrences)' : '') : '-')));
      box.replaceChildren(h('div', { class: 'scroll' }, h('table', { class: 'data', id: 'occurrences-table' },
        h('thead', null, h('tr', null, ['Due', 'Outcome', 'Trade', 'Skip reason'].map((t) => h('th', null, t)))),
        h('tbody', null, rows))));
    }
    // Each new occurrence moves the schedule on (next run, placed): refresh its row then.
    const seen = list.length + '|' + (list[0] ? list[0].occurrence_at : '');
    if (occurrencesSeen !== null && seen !== occurrencesSeen) loadSchedules();
    occurrencesSeen = seen;
    occurrencesTimer = setTimeout(() => loadOccurrences(id), OCCURRENCES_POLL_MS);
  }

  // ---- start ---------------------------------------------------------------------------------

  function start() {
    const params = new URLSearchParams(window.location.search);
    let stored = {};
    try { stored = { userId: sessionStorage.getItem('demo.userId'), env: sessionStorage.getItem('demo.env') }; } catch { /* no storage */ }
    $('user-id').value = params.get('user_id') || stored.userId || '';
    const wantedEnv = params.get('env') || stored.env;
    if (wantedEnv === 'paper' || wantedEnv === 'live') $('env').value = wantedEnv;

    $('connect-form').addEventListener('submit', connect);
    $('order-form').addEventListener('submit', placeOrder);
    $('refresh-connections').addEventListener('click', loadConnections);
    $('user-id').addEventListener('change', () => { remember(); loadConnections(); selectSchedule(null); loadSchedules(); });
    $('env').addEventListener('change', () => { remember(); selectSchedule(null); loadSchedules(); });
    $('cancel-trade').addEventListener('click', cancelTrade);
    $('refresh-webhooks').addEventListener('click', loadWebhooks);
    $('hook-form').addEventListener('submit', createHook);
    $('fire-alert').addEventListener('click', fireAlert);
    $('schedule-form').addEventListener('submit', createSchedule);
    $('refresh-schedules').addEventListener('click', loadSchedules);
    // Back from the consent page via the browser's Back button: a page from the cache is live again.
    window.addEventListener('pageshow', (e) => { if (e.persisted) $('connect').disabled = false; });

    showConnectResult(params);
    loadConnections();
    loadWebhooks();
    loadSchedules();
    document.body.dataset.ready = 'true';
  }

  start();
})();
""";
}
