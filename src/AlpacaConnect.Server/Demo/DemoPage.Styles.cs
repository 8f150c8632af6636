namespace AlpacaConnect.Server;

public static partial class DemoPage
{
    /// <summary>The page's styles: plain CSS, system fonts, no external resources.</summary>
    private const string Styles = """
:root {
  --bg: #f5f6f8; --card: #fff; --text: #1d2330; --muted: #667085; --line: #e3e6eb;
  --accent: #1f6feb; --accent-dark: #1857b8;
  --ok: #137333; --ok-bg: #e6f4ea; --warn: #8a5a00; --warn-bg: #fff4d6;
  --bad: #b3261e; --bad-bg: #fdecea; --info: #1857b8; --info-bg: #e8f0fe;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 15px; line-height: 1.45; color: var(--text); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
.wrap { max-width: 960px; margin: 0 auto; padding: 0 1.25rem; }
.top { background: #111827; color: #f9fafb; padding: 1.25rem 0 1rem; margin-bottom: 1.25rem; }
.top h1 { margin: 0; font-size: 1.45rem; font-weight: 650; }
.top .lede { margin: .35rem 0 0; color: #cbd5e1; }
.tag { font-size: .75rem; font-weight: 600; vertical-align: middle; background: #fbbf24; color: #111827; border-radius: 999px; padding: .1rem .55rem; margin-left: .4rem; }

.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 1.1rem 1.25rem 1.2rem; margin-bottom: 1rem; box-shadow: 0 1px 2px rgba(16, 24, 40, .04); }
.card h2 { margin: 0 0 .8rem; font-size: 1.1rem; display: flex; align-items: center; gap: .55rem; }
.card h2 .small { margin-left: auto; }
.card h3 { font-size: .95rem; margin: 1rem 0 .4rem; }
.step { display: inline-flex; align-items: center; justify-content: center; width: 1.5rem; height: 1.5rem; border-radius: 50%; background: var(--accent); color: #fff; font-size: .8rem; }

.row { display: flex; flex-wrap: wrap; gap: .75rem; align-items: flex-end; }
.row.end { justify-content: space-between; align-items: center; margin-top: .9rem; }
.grid { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: .75rem 1rem; }
@media (max-width: 720px) { .grid { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
.field { display: flex; flex-direction: column; gap: .25rem; min-width: 0; }
.field.grow { flex: 1 1 16rem; }
label { font-size: .82rem; font-weight: 600; color: #344054; }
input, select, textarea { font: inherit; padding: .45rem .6rem; border: 1px solid #cfd4dc; border-radius: 6px; background: #fff; color: var(--text); width: 100%; }
input:focus, select:focus, textarea:focus { outline: 2px solid rgba(31, 111, 235, .35); border-color: var(--accent); }
input.invalid, select.invalid { border-color: var(--bad); background: #fffafa; }
.field-error { color: var(--bad); font-size: .8rem; }
.field.stacked { margin-top: .7rem; }
input[readonly], textarea[readonly] { background: #f8fafc; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .8rem; }
textarea { resize: vertical; }

button { font: inherit; font-weight: 600; padding: .5rem 1rem; border-radius: 6px; border: 1px solid #cfd4dc; background: #fff; color: var(--text); cursor: pointer; }
button:hover { background: #f2f4f7; }
button:disabled { opacity: .55; cursor: default; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.primary:hover { background: var(--accent-dark); }
button.small { font-size: .8rem; padding: .25rem .65rem; font-weight: 500; }

.hint, .muted { color: var(--muted); }
.hint { font-size: .85rem; margin: .6rem 0 0; }
.row.end .hint { margin: 0; }
.small { font-size: .8rem; }

.notice { margin-top: .9rem; padding: .7rem .9rem; border-radius: 8px; border: 1px solid transparent; }
.notice p { margin: .25rem 0 0; }
.notice.success { background: var(--ok-bg); border-color: #b7dfc2; color: var(--ok); }
.notice.warning { background: var(--warn-bg); border-color: #f3d98b; color: var(--warn); }
.notice.error { background: var(--bad-bg); border-color: #f4c2bd; color: var(--bad); }
.notice.info { background: var(--info-bg); border-color: #c6d8fb; color: var(--info); }
.problem-errors { margin: .5rem 0 0; padding-left: 1.1rem; }
.problem-errors li { margin: .15rem 0; }
.problem-errors .field-name { font-weight: 600; margin-right: .35rem; }
.problem-errors code { font-size: .75rem; color: #7a2e28; background: rgba(179, 38, 30, .08); padding: 0 .3rem; border-radius: 4px; margin-right: .35rem; }

table.data { width: 100%; border-collapse: collapse; font-size: .88rem; }
table.data th { text-align: left; font-size: .75rem; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); border-bottom: 1px solid var(--line); padding: .35rem .5rem; }
table.data td { border-bottom: 1px solid var(--line); padding: .45rem .5rem; vertical-align: top; }
.scroll { overflow-x: auto; }

.badge { display: inline-block; font-size: .75rem; font-weight: 650; padding: .12rem .55rem; border-radius: 999px; background: #eef0f3; color: #344054; text-transform: lowercase; }
.status-active, .status-filled, .status-placed, .status-completed { background: var(--ok-bg); color: var(--ok); }
.status-accepted, .status-submitted, .status-queued { background: var(--info-bg); color: var(--info); }
.status-partially_filled, .status-paused, .status-skipped, .status-refused { background: var(--warn-bg); color: var(--warn); }
.status-rejected, .status-failed, .status-revoked { background: var(--bad-bg); color: var(--bad); }
.status-canceled, .status-expired, .status-disconnected { background: #eef0f3; color: #475467; }
#trade-status { font-size: .95rem; padding: .2rem .8rem; }

.status-line { display: flex; flex-wrap: wrap; align-items: center; gap: .75rem; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; margin: .9rem 0 0; font-size: .9rem; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85em; }

.history { list-style: none; margin: 0; padding: 0; border-left: 2px solid var(--line); }
.history li { position: relative; padding: .3rem 0 .3rem 1rem; display: flex; gap: .6rem; align-items: baseline; flex-wrap: wrap; }
.history li::before { content: ""; position: absolute; left: -6px; top: .75rem; width: 10px; height: 10px; border-radius: 50%; background: var(--accent); }
.history time { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .8rem; color: var(--muted); }
.history .detail { color: #475467; font-size: .88rem; }

.subscription { border: 1px solid var(--line); border-radius: 8px; padding: .6rem .8rem; margin-top: .6rem; }
.subscription h3 { margin: 0; display: flex; align-items: center; gap: .5rem; }
.deliveries h4 { margin: .8rem 0 .3rem; font-size: .85rem; }
pre { background: #f8fafc; border: 1px solid var(--line); border-radius: 6px; padding: .6rem; overflow-x: auto; font-size: .8rem; }
.actions-cell { white-space: nowrap; }
.actions-cell button + button { margin-left: .3rem; }
tr.selected td { background: var(--info-bg); }
footer { padding-bottom: 2rem; font-size: .85rem; }
""";
}
