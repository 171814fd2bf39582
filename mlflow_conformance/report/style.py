"""The report's stylesheet (inline: the page must open from file:// with no fetch) and the
only script: open every collapsed section before printing, so paper shows everything."""

CSS = """
:root { --ink:#1f2633; --muted:#5b6475; --line:#dfe3ea; --bg:#f5f7fa; --card:#fff;
  --pass:#2f8f4e; --fail:#c62f3d; --error:#8e44ad; --warn:#c77c02; --skip:#8a94a6;
  --accent:#3a6ea5; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif; }
main { max-width:1180px; margin:0 auto; padding:0 24px 48px; }
h1 { font-size:15px; font-weight:600; margin:0; letter-spacing:.02em; }
h2 { font-size:19px; margin:34px 0 10px; padding-bottom:6px; border-bottom:2px solid var(--line); }
h3 { font-size:15px; margin:22px 0 8px; }
code, pre, .mono { font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;
  font-size:12.5px; }
.muted { color:var(--muted); }
.banner { color:#fff; padding:22px 24px 18px; }
.banner-inner { max-width:1132px; margin:0 auto; }
.banner.CONFORMANT { background:linear-gradient(135deg,#23723e,#2f8f4e); }
.banner.NOT_CONFORMANT { background:linear-gradient(135deg,#a3222f,#c62f3d); }
.banner.INCONCLUSIVE { background:linear-gradient(135deg,#9a5f00,#c77c02); }
.verdict { font-size:34px; font-weight:700; letter-spacing:.03em; margin:4px 0 6px; }
.banner .meta { opacity:.93; font-size:13px; }
.banner .meta span + span::before { content:"·"; margin:0 8px; opacity:.7; }
.tiles { display:flex; flex-wrap:wrap; gap:12px 28px; margin:16px 0 4px; }
.tile { background:rgba(255,255,255,.14); border:1px solid rgba(255,255,255,.28);
  border-radius:8px; padding:8px 14px; min-width:92px; }
.tile b { display:block; font-size:22px; line-height:1.2; }
.tile small { text-transform:uppercase; letter-spacing:.06em; font-size:11px; opacity:.9; }
.tiles .group > small { display:block; text-transform:uppercase; letter-spacing:.06em;
  font-size:11px; opacity:.85; margin-bottom:4px; }
.tiles .group > div { display:flex; gap:10px; }
.severity-line { font-size:12.5px; opacity:.9; margin-top:8px; }
.gate { margin-top:10px; font-size:13px; background:rgba(0,0,0,.16); display:inline-block;
  padding:4px 10px; border-radius:6px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px;
  padding:14px 16px; margin:10px 0; box-shadow:0 1px 2px rgba(20,30,50,.04); }
.card.fail { border-left:5px solid var(--fail); }
.card.error { border-left:5px solid var(--error); }
.card.warn { border-left:5px solid var(--warn); }
.card h3 { margin:0 0 6px; display:flex; gap:10px; align-items:baseline; flex-wrap:wrap; }
.card dl { display:grid; grid-template-columns:110px 1fr; gap:4px 12px; margin:8px 0 0; }
.card dt { color:var(--muted); } .card dd { margin:0; }
.ok-box { background:#eaf6ee; border:1px solid #b9dec4; color:#1d5e33; border-radius:8px;
  padding:12px 16px; }
pre.evidence { background:#f3f5f9; border:1px solid var(--line); border-radius:6px;
  padding:8px 10px; margin:0; white-space:pre-wrap; word-break:break-word; max-height:320px;
  overflow:auto; }
.badge { display:inline-block; border-radius:999px; padding:1px 9px; font-size:11.5px;
  font-weight:600; text-transform:uppercase; letter-spacing:.04em; color:#fff;
  background:var(--skip); white-space:nowrap; }
.badge.pass { background:var(--pass); } .badge.fail { background:var(--fail); }
.badge.error { background:var(--error); } .badge.warn { background:var(--warn); }
.badge.must { background:#fff; color:var(--ink); border:1px solid #9aa3b2; }
.badge.should, .badge.info { background:#fff; color:var(--muted); border:1px solid var(--line); }
.badge.new_failure { background:var(--fail); } .badge.still_failing { background:#7a2530; }
.badge.fixed { background:var(--pass); } .badge.new_requirement { background:var(--accent); }
.badge.not_rechecked, .badge.removed { background:var(--warn); }
.code { font-family:ui-monospace,Menlo,Consolas,monospace; font-size:12px; background:#eef1f6;
  border:1px solid var(--line); border-radius:4px; padding:0 5px; white-space:nowrap; }
table { border-collapse:collapse; width:100%; background:var(--card); border:1px solid var(--line);
  border-radius:8px; overflow:hidden; font-size:13px; }
th, td { text-align:left; vertical-align:top; padding:6px 10px;
  border-bottom:1px solid var(--line); }
th { background:#eef1f6; font-weight:600; font-size:12px; text-transform:uppercase;
  letter-spacing:.04em; color:var(--muted); }
tbody tr:nth-child(even) { background:#fafbfd; }
tbody th { text-transform:none; letter-spacing:0; font-size:13px; color:var(--ink); width:26%; }
table.matrix td:first-child, table.matrix td:last-child { white-space:nowrap; }
tr.row-fail td:first-child { box-shadow:inset 4px 0 var(--fail); }
tr.row-error td:first-child { box-shadow:inset 4px 0 var(--error); }
tr.row-warn td:first-child { box-shadow:inset 4px 0 var(--warn); }
td .statement { color:var(--muted); font-size:12.5px; }
td.differs { background:#fff4e0; font-weight:600; }
.chips { display:flex; flex-wrap:wrap; gap:8px; margin:8px 0 12px; }
.chip { border:1px solid var(--line); background:var(--card); border-radius:999px;
  padding:2px 12px; }
details { margin:10px 0; } summary { cursor:pointer; color:var(--accent); font-weight:600; }
.chart { max-width:100%; height:auto; background:var(--card); border:1px solid var(--line);
  border-radius:8px; padding:6px; }
nav.toc { margin:14px 0 0; font-size:13px; } nav.toc a { color:var(--accent); margin-right:14px;
  text-decoration:none; }
footer { margin-top:40px; color:var(--muted); font-size:12px; }
@media print {
  body { background:#fff; font-size:11px; } main { max-width:none; padding:0; }
  .banner { -webkit-print-color-adjust:exact; print-color-adjust:exact; padding:12px; }
  .badge, td.differs, th, .chart { -webkit-print-color-adjust:exact; print-color-adjust:exact; }
  nav.toc, summary { display:none; }
  details::details-content { content-visibility:visible; display:contents; }
  pre.evidence { max-height:none; overflow:visible; }
  .card, tr, .chart { break-inside:avoid; } h2 { break-after:avoid; }
  table { font-size:10px; }
}
table.truth td.cell-right { background:#eaf6ee; color:#1d5e33; }
table.truth td.cell-wrong { background:#fbe9eb; color:#8f1f2a; }
table.truth tr.truth-why td { font-size:12px; color:#5b6474; }
"""

# Readable without it; it only unfolds collapsed sections for paper.
PRINT_SCRIPT = ("window.addEventListener('beforeprint',function(){"
                "document.querySelectorAll('details').forEach(function(d){d.open=true;});});")
