import { createHash } from "node:crypto";

/**
 * The hub's one stylesheet, served from this app (the CSP allows styles from 'self' only, never
 * inline). Colours meet WCAG AA contrast; focus is always visible; nothing depends on script.
 */
export const HUB_CSS = `
:root {
  --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --panel: #f6f8fa; --border: #d1d9e0;
  --link: #0550ae; --focus: #0969da; --accent: #1f2328;
  --critical: #a40e26; --high: #bc4c00; --medium: #8a5a00; --low: #0969da; --info: #59636e;
  font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif;
  font-size: 15px; line-height: 1.5; color: var(--fg); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
a { color: var(--link); text-underline-offset: 2px; }
a:hover { text-decoration-thickness: 2px; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; border-radius: 3px; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace; font-size: 13px; }
.skip { position: absolute; left: -9999px; top: 0; background: var(--bg); padding: 8px 12px; z-index: 10; }
.skip:focus { left: 8px; top: 8px; }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }

header.top { background: var(--accent); color: #fff; }
header.top .bar { max-width: 1240px; margin: 0 auto; padding: 10px 20px; display: flex; gap: 20px; align-items: center; flex-wrap: wrap; }
header.top a { color: #fff; text-decoration: none; }
header.top a:hover, header.top a[aria-current="page"] { text-decoration: underline; text-underline-offset: 6px; }
header.top .brand { font-weight: 600; font-size: 17px; display: flex; align-items: center; gap: 8px; }
header.top nav ul { list-style: none; margin: 0; padding: 0; display: flex; gap: 16px; }
header.top form.search { flex: 1; display: flex; gap: 6px; min-width: 260px; }
header.top form.search input { flex: 1; padding: 6px 10px; border-radius: 6px; border: 1px solid #59636e; font: inherit; }
header.top .who { display: flex; gap: 10px; align-items: center; font-size: 14px; }
header.top :focus-visible { outline-color: #fff; }
button, .button { font: inherit; font-size: 14px; padding: 6px 14px; border-radius: 6px; border: 1px solid var(--border); background: var(--panel); color: var(--fg); cursor: pointer; text-decoration: none; display: inline-block; }
button:hover, .button:hover { background: #eaeef2; }
button.primary { background: #1f883d; border-color: #1a7f37; color: #fff; }
button.primary:hover { background: #1a7f37; }
header.top button { background: transparent; color: #fff; border-color: #8c959f; }
header.top button:hover { background: #32383f; }

main { max-width: 1240px; margin: 0 auto; padding: 20px; }
h1 { font-size: 24px; margin: 8px 0 16px; font-weight: 600; }
h2 { font-size: 18px; margin: 28px 0 10px; font-weight: 600; padding-bottom: 6px; border-bottom: 1px solid var(--border); }
h3 { font-size: 15px; margin: 16px 0 6px; }
p.lede { color: var(--muted); margin-top: -8px; }
.muted { color: var(--muted); }
.notice { border: 1px solid #54aeff; background: #ddf4ff; padding: 10px 14px; border-radius: 6px; margin: 12px 0; }
.warning { border: 1px solid #d4a72c; background: #fff8c5; padding: 10px 14px; border-radius: 6px; margin: 12px 0; }

.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 12px; margin: 0; padding: 0; list-style: none; }
.card { border: 1px solid var(--border); border-radius: 8px; padding: 12px 14px; background: var(--bg); }
.card .value { font-size: 26px; font-weight: 600; display: block; }
.card .label { color: var(--muted); font-size: 13px; }
.card.sev { border-left: 6px solid var(--info); }
.card.sev-critical { border-left-color: var(--critical); }
.card.sev-high { border-left-color: var(--high); }
.card.sev-medium { border-left-color: var(--medium); }
.card.sev-low { border-left-color: var(--low); }
.card a { text-decoration: none; color: inherit; }
.card a:hover .label { text-decoration: underline; }

.badge { display: inline-block; min-width: 1.8em; padding: 1px 7px; border-radius: 10px; font-size: 12px; font-weight: 600; text-align: center; color: #fff; background: var(--info); }
.badge.critical { background: var(--critical); } .badge.high { background: var(--high); } .badge.medium { background: var(--medium); }
.badge.low { background: var(--low); } .badge.info { background: var(--info); }
.badge.zero { background: transparent; color: var(--muted); font-weight: 400; }
.tag { display: inline-block; padding: 0 6px; border: 1px solid var(--border); border-radius: 10px; font-size: 12px; color: var(--muted); }
.tag.bad { border-color: var(--critical); color: var(--critical); }
.tag.good { border-color: #1a7f37; color: #1a7f37; }

table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--border); vertical-align: top; }
thead th { background: var(--panel); font-weight: 600; position: sticky; top: 0; }
tbody tr:hover { background: #f6f8fa; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.table-wrap { overflow-x: auto; border: 1px solid var(--border); border-radius: 8px; }
.table-wrap table { border: 0; }
.table-wrap tbody tr:last-child td, .table-wrap tbody tr:last-child th { border-bottom: 0; }

form.filters { display: flex; flex-wrap: wrap; gap: 12px 16px; align-items: flex-end; padding: 12px 14px; border: 1px solid var(--border); border-radius: 8px; background: var(--panel); margin-bottom: 14px; }
form.filters label { display: flex; flex-direction: column; font-size: 13px; font-weight: 600; gap: 3px; }
form.filters select, form.filters input { font: inherit; font-size: 14px; padding: 5px 8px; border: 1px solid #8c959f; border-radius: 6px; background: #fff; min-width: 130px; }
.actions { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.pager { display: flex; gap: 12px; align-items: center; margin-top: 10px; }

.trend { margin: 0; border: 1px solid var(--border); border-radius: 8px; padding: 12px; }
.trend svg { display: block; max-height: 260px; }
.legend { list-style: none; display: flex; gap: 14px; padding: 0; margin: 8px 0 0; font-size: 13px; color: var(--muted); }
.legend li { display: flex; gap: 5px; align-items: center; }
.trend details { margin-top: 6px; font-size: 13px; }
.numbers { max-width: 520px; }
.grid2 { display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 1fr); gap: 20px; }
@media (max-width: 900px) { .grid2 { grid-template-columns: 1fr; } }

.untrusted { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--panel); border: 1px solid var(--border); border-radius: 6px; padding: 8px 10px; margin: 4px 0; font-size: 14px; }
pre.code, pre.schema { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--panel); border: 1px solid var(--border); border-radius: 6px; padding: 8px 10px; margin: 4px 0; max-height: 360px; overflow: auto; }
.invisible { background: #fff8c5; color: #6e3a00; border: 1px solid #d4a72c; border-radius: 3px; padding: 0 2px; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
.tool { border: 1px solid var(--border); border-radius: 8px; padding: 10px 14px; margin: 10px 0; }
.tool header { display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
.tool h3 { margin: 0; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 15px; }
.finding { border: 1px solid var(--border); border-left: 6px solid var(--info); border-radius: 8px; padding: 10px 14px; margin: 10px 0; }
.finding.critical { border-left-color: var(--critical); } .finding.high { border-left-color: var(--high); }
.finding.medium { border-left-color: var(--medium); } .finding.low { border-left-color: var(--low); }
.finding h3 { margin: 0 0 4px; display: flex; gap: 8px; align-items: baseline; flex-wrap: wrap; }
.finding .remediation { border-top: 1px dashed var(--border); margin-top: 8px; padding-top: 4px; }
.side-by-side { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }
.side-by-side h4 { margin: 6px 0 2px; font-size: 13px; color: var(--muted); }
.change { border: 1px solid var(--border); border-radius: 8px; padding: 10px 14px; margin: 10px 0; }
.repo-head { display: flex; justify-content: space-between; gap: 16px; align-items: flex-start; flex-wrap: wrap; }
.repo-head h1 { margin-bottom: 4px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0; font-size: 14px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
ul.plain { list-style: none; padding: 0; margin: 0; }
ul.hits li { padding: 6px 0; border-bottom: 1px solid var(--border); }
footer.bottom { max-width: 1240px; margin: 30px auto; padding: 0 20px; color: var(--muted); font-size: 13px; }
.center { max-width: 560px; margin: 60px auto; text-align: center; }
`;

/** Where the stylesheet is served; the hash in the query changes with it, so it may be cached. */
export const STYLE_PATH = `/hub/static/hub.css?v=${createHash("sha256").update(HUB_CSS).digest("hex").slice(0, 10)}`;
