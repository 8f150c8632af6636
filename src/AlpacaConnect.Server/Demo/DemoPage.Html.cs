namespace AlpacaConnect.Server;

public static partial class DemoPage
{
    /// <summary>The page. {{FUNCTION_KEY}} is replaced (HTML-encoded) when served; see MapDemo.</summary>
    private const string Html = """
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<!-- Local Development page only: the Server's function key, so fetch() can send x-functions-key. -->
<meta name="functions-key" content="{{FUNCTION_KEY}}">
<title>Alpaca Connect Functions - local demo</title>
<link rel="stylesheet" href="/demo/demo.css">
<script src="/demo/demo.js" defer></script>
</head>
<body>
<header class="top">
  <div class="wrap">
    <h1>Alpaca Connect Functions <span class="tag">local demo</span></h1>
    <p class="lede">Connect a Sandbox account, place a paper trade and watch it settle, follow an alert hook and schedule recurring buys, through this Server's own API.</p>
  </div>
</header>

<main class="wrap">
  <section class="card" id="connect-card" aria-labelledby="connect-title">
    <h2 id="connect-title"><span class="step">1</span>Connect an account</h2>
    <form id="connect-form" class="row" novalidate>
      <div class="field grow">
        <label for="user-id">User id</label>
        <input id="user-id" name="user_id" type="text" autocomplete="off" spellcheck="false" placeholder="e.g. alice" maxlength="128">
        <small class="field-error" id="user-id-error" hidden></small>
      </div>
      <div class="field">
        <label for="env">Environment</label>
        <select id="env" name="env">
          <option value="paper" selected>paper</option>
          <option value="live">live</option>
        </select>
        <small class="field-error" id="env-error" hidden></small>
      </div>
      <div class="field actions">
        <button id="connect" type="submit" class="primary">Connect with Alpaca</button>
      </div>
    </form>
    <p class="hint">You will go to the Sandbox's consent page (a stand-in for Alpaca) and come back here.</p>
    <div id="connection-status" class="notice" role="status" hidden></div>
  </section>

  <section class="card" id="connections-card" aria-labelledby="connections-title">
    <h2 id="connections-title"><span class="step">2</span>Connections
      <button id="refresh-connections" type="button" class="small">Refresh</button></h2>
    <div id="connections"><p class="muted">Enter a user id to see its connections.</p></div>
  </section>

  <section class="card" id="order-card" aria-labelledby="order-title">
    <h2 id="order-title"><span class="step">3</span>Place a trade</h2>
    <form id="order-form" novalidate>
      <div class="grid">
        <div class="field">
          <label for="symbol">Symbol</label>
          <input id="symbol" name="symbol" type="text" value="AAPL" autocomplete="off" spellcheck="false">
          <small class="field-error" id="symbol-error" hidden></small>
        </div>
        <div class="field">
          <label for="side">Side</label>
          <select id="side" name="side">
            <option value="buy" selected>buy</option>
            <option value="sell">sell</option>
          </select>
          <small class="field-error" id="side-error" hidden></small>
        </div>
        <div class="field">
          <label for="type">Type</label>
          <select id="type" name="type">
            <option value="market" selected>market</option>
            <option value="limit">limit</option>
            <option value="stop">stop</option>
            <option value="stop_limit">stop_limit</option>
          </select>
          <small class="field-error" id="type-error" hidden></small>
        </div>
        <div class="field">
          <label for="time-in-force">Time in force</label>
          <select id="time-in-force" name="time_in_force">
            <option value="day" selected>day</option>
            <option value="gtc">gtc</option>
            <option value="opg">opg</option>
            <option value="cls">cls</option>
            <option value="ioc">ioc</option>
            <option value="fok">fok</option>
          </select>
          <small class="field-error" id="time-in-force-error" hidden></small>
        </div>
        <div class="field">
          <label for="qty">Qty <span class="muted">(shares)</span></label>
          <input id="qty" name="qty" type="text" inputmode="decimal" value="1" autocomplete="off">
          <small class="field-error" id="qty-error" hidden></small>
        </div>
        <div class="field">
          <label for="notional">or Notional <span class="muted">($)</span></label>
          <input id="notional" name="notional" type="text" inputmode="decimal" autocomplete="off" placeholder="instead of qty">
          <small class="field-error" id="notional-error" hidden></small>
        </div>
        <div class="field">
          <label for="limit-price">Limit price</label>
          <input id="limit-price" name="limit_price" type="text" inputmode="decimal" autocomplete="off" placeholder="limit, stop_limit">
          <small class="field-error" id="limit-price-error" hidden></small>
        </div>
        <div class="field">
          <label for="stop-price">Stop price</label>
          <input id="stop-price" name="stop_price" type="text" inputmode="decimal" autocomplete="off" placeholder="stop, stop_limit">
          <small class="field-error" id="stop-price-error" hidden></small>
        </div>
      </div>
      <div class="row end">
        <span class="hint">Sent as POST /api/trades with a fresh Idempotency-Key; the Server checks it before queuing.</span>
        <button id="place-order" type="submit" class="primary">Place order</button>
      </div>
    </form>
    <div id="errors" class="notice error" role="alert" hidden></div>
  </section>

  <section class="card" id="trade-card" aria-labelledby="trade-title">
    <h2 id="trade-title"><span class="step">4</span>Trade status</h2>
    <p id="trade-empty" class="muted">No trade placed yet.</p>
    <div id="trade-details" hidden>
      <div class="status-line">
        <span id="trade-status" class="badge">-</span>
        <span id="trade-summary"></span>
        <span id="trade-polling" class="muted"></span>
        <button id="cancel-trade" type="button" class="small" hidden>Cancel trade</button>
      </div>
      <dl class="facts">
        <dt>Trade id</dt><dd><code id="trade-id"></code></dd>
        <dt>Filled</dt><dd id="trade-fill">-</dd>
        <dt>Alpaca order</dt><dd id="trade-alpaca">-</dd>
        <dt>Reason</dt><dd id="trade-reason">-</dd>
      </dl>
      <h3>History</h3>
      <ol id="trade-history" class="history"></ol>
      <p id="trade-error" class="notice error" hidden></p>
    </div>
  </section>

  <section class="card" id="webhooks-card" aria-labelledby="webhooks-title">
    <h2 id="webhooks-title"><span class="step">5</span>Webhook deliveries
      <button id="refresh-webhooks" type="button" class="small">Refresh</button></h2>
    <div id="webhooks"><p class="muted">Loading...</p></div>
  </section>

  <section class="card" id="signals-card" aria-labelledby="signals-title">
    <h2 id="signals-title"><span class="step">6</span>Signals (TradingView alerts)</h2>
    <form id="hook-form" novalidate>
      <div class="grid">
        <div class="field">
          <label for="signal-symbol">Symbol <span class="muted">(in the alert)</span></label>
          <input id="signal-symbol" name="ticker" type="text" value="AAPL" autocomplete="off" spellcheck="false">
          <small class="field-error" id="signal-symbol-error" hidden></small>
        </div>
        <div class="field">
          <label for="signal-qty">Shares per alert <span class="muted">(follower's sizing)</span></label>
          <input id="signal-qty" name="sizing_value" type="text" inputmode="decimal" value="1" autocomplete="off">
          <small class="field-error" id="signal-qty-error" hidden></small>
        </div>
        <div class="field">
          <label for="signal-max-qty">Max qty per order <span class="muted">(hook rule)</span></label>
          <input id="signal-max-qty" name="max_qty" type="text" inputmode="decimal" value="10" autocomplete="off">
          <small class="field-error" id="signal-max-qty-error" hidden></small>
        </div>
        <div class="field actions">
          <button id="create-hook" type="submit" class="primary">Create hook and follow it</button>
        </div>
      </div>
      <p class="hint">POST /api/signal-hooks (any symbol, regular hours, the max qty above), then
        PUT /api/signal-hooks/{hookId}/subscribers/{userId}/{env} for the user and environment of section 1, sized in fixed shares.</p>
    </form>
    <div id="hook-errors" class="notice error" role="alert" hidden></div>
    <div id="hook-details" hidden>
      <p class="notice warning" id="hook-once">Shown once: the alert URL carries the hook's secret, and the Server keeps only its hash.
        Copy it now; reloading this page forgets it (rotate the secret for a new one).</p>
      <dl class="facts">
        <dt>Hook id</dt><dd><code id="hook-id"></code></dd>
        <dt>Follower</dt><dd id="hook-follower">-</dd>
      </dl>
      <div class="field stacked">
        <label for="alert-url">Alert URL <span class="muted">(paste into TradingView's webhook URL)</span></label>
        <input id="alert-url" type="text" readonly spellcheck="false">
      </div>
      <div class="field stacked">
        <label for="alert-curl">curl that fires it <span class="muted">(a text/plain body, as TradingView sends)</span></label>
        <textarea id="alert-curl" rows="3" readonly spellcheck="false"></textarea>
      </div>
      <div class="row end">
        <span class="hint">The button posts the same alert with a fresh <code>id</code>, so each click is a new signal
          (an alert without an id, like the curl's, counts once per minute for the same body).</span>
        <button id="fire-alert" type="button" class="primary">Fire test alert</button>
      </div>
    </div>
    <div id="signal-details" hidden>
      <h3>Signal outcome</h3>
      <div class="status-line">
        <span id="signal-status" class="badge">-</span>
        <code id="signal-id"></code>
        <span id="signal-polling" class="muted"></span>
      </div>
      <p id="signal-reason" class="muted" hidden></p>
      <div id="signal-outcomes"></div>
      <p id="signal-error" class="notice error" role="alert" hidden></p>
    </div>
  </section>

  <section class="card" id="schedules-card" aria-labelledby="schedules-title">
    <h2 id="schedules-title"><span class="step">7</span>Schedules
      <button id="refresh-schedules" type="button" class="small">Refresh</button></h2>
    <form id="schedule-form" novalidate>
      <div class="grid">
        <div class="field">
          <label for="schedule-cron">Cron <span class="muted">(5 fields, or 6 with seconds)</span></label>
          <input id="schedule-cron" name="cron" type="text" value="0 10 * * MON" autocomplete="off" spellcheck="false">
          <small class="field-error" id="schedule-cron-error" hidden></small>
        </div>
        <div class="field">
          <label for="schedule-time-zone">Time zone <span class="muted">(IANA)</span></label>
          <input id="schedule-time-zone" name="time_zone" type="text" value="America/New_York" autocomplete="off" spellcheck="false">
          <small class="field-error" id="schedule-time-zone-error" hidden></small>
        </div>
        <div class="field">
          <label for="schedule-symbol">Symbol</label>
          <input id="schedule-symbol" name="symbol" type="text" value="VTI" autocomplete="off" spellcheck="false">
          <small class="field-error" id="schedule-symbol-error" hidden></small>
        </div>
        <div class="field">
          <label for="schedule-notional">Buy for <span class="muted">($, market)</span></label>
          <input id="schedule-notional" name="notional" type="text" inputmode="decimal" value="50" autocomplete="off">
          <small class="field-error" id="schedule-notional-error" hidden></small>
        </div>
        <div class="field">
          <label for="schedule-market-closed">When the market is closed</label>
          <select id="schedule-market-closed" name="market_closed">
            <option value="next_open" selected>next_open</option>
            <option value="skip">skip</option>
          </select>
          <small class="field-error" id="schedule-market-closed-error" hidden></small>
        </div>
      </div>
      <div class="row end">
        <span class="hint">POST /api/schedules for the user and environment of section 1; the timer places each occurrence as a trade.</span>
        <button id="create-schedule" type="submit" class="primary">Create schedule</button>
      </div>
    </form>
    <div id="schedule-errors" class="notice error" role="alert" hidden></div>
    <div id="schedules"><p class="muted">Enter a user id to see its schedules.</p></div>
    <div id="occurrences-panel" hidden>
      <h3 id="occurrences-title">Occurrences</h3>
      <div id="occurrences"></div>
    </div>
  </section>
</main>

<footer class="wrap">
  <p class="muted">Local Development page: it carries this Server's function key and is served only on this machine.
  Never enable it (Demo:Enabled) on a deployed app.</p>
</footer>
</body>
</html>
""";
}
