/**
 * The report's only stylesheet, inlined. Colours meet WCAG 2.1 AA contrast
 * (4.5:1 for text) in both the light and the dark scheme.
 */
export const REPORT_CSS = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --panel: #f6f8fa;
  --link: #0550ae; --focus: #0969da;
  --ok-fg: #116329; --ok-bg: #dafbe1; --warn-fg: #7a4a00; --warn-bg: #fff8c5; --bad-fg: #a40e26; --bad-bg: #ffebe9;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9ea7b3; --line: #3d444d; --panel: #151b23;
    --link: #6cb6ff; --focus: #6cb6ff;
    --ok-fg: #7ee2a8; --ok-bg: #0f2d1a; --warn-fg: #f0c674; --warn-bg: #2e2409; --bad-fg: #ffa198; --bad-bg: #3a1114;
  }
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", sans-serif; }
a { color: var(--link); }
a:focus-visible, [tabindex]:focus-visible, summary:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.875em; }
code, .mono, td, th, dd, li, p, h1, h2, h3, h4, figcaption { overflow-wrap: anywhere; }
.skip { position: absolute; left: -9999px; top: 0; background: var(--bg); padding: 0.5rem 1rem; z-index: 1; }
.skip:focus { left: 0.5rem; top: 0.5rem; }
header.top, main, footer { max-width: 72rem; margin: 0 auto; padding: 0 1rem; }
header.top { padding-top: 1.5rem; border-bottom: 1px solid var(--line); }
header.top h1 { font-size: 1.6rem; margin: 0 0 0.25rem; }
header.top p { margin: 0 0 1rem; color: var(--muted); }
nav.toc { max-width: 72rem; margin: 0 auto; padding: 0.5rem 1rem; }
nav.toc ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 0.25rem 1.25rem; }
nav.toc a { display: inline-block; padding: 0.25rem 0; }
section { margin: 2rem 0; }
h2 { font-size: 1.35rem; border-bottom: 1px solid var(--line); padding-bottom: 0.25rem; }
h3 { font-size: 1.15rem; margin: 1.5rem 0 0.5rem; }
h4 { font-size: 1rem; margin: 1rem 0 0.5rem; }
dl.facts { display: grid; grid-template-columns: 17rem minmax(0, 1fr); gap: 0.25rem 1rem; margin: 0.5rem 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; min-width: 0; }
@media (max-width: 40rem) {
  dl.facts { grid-template-columns: minmax(0, 1fr); }
  dl.facts dd { margin-bottom: 0.5rem; }
}
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1rem; }
caption { text-align: left; font-weight: 600; padding: 0.25rem 0; caption-side: top; }
th, td { border-bottom: 1px solid var(--line); padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }
thead th { background: var(--panel); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.compact { width: auto; min-width: min(100%, 28rem); }
td ul, dd ul { margin: 0; padding-left: 1.1rem; }
h3 .badge { vertical-align: middle; margin-left: 0.5rem; }
@media (max-width: 40rem) {
  table.stack, table.stack tbody, table.stack tr, table.stack th, table.stack td { display: block; }
  table.stack caption { display: block; }
  table.stack thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  table.stack tr { border-bottom: 1px solid var(--line); padding: 0.5rem 0; }
  table.stack th, table.stack td { border: 0; padding: 0.1rem 0; text-align: left; }
  table.stack td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); }
}
article.artifact, article.signature { border: 1px solid var(--line); border-radius: 6px; padding: 0 1rem 0.5rem; margin: 1.5rem 0; }
article.artifact > h3, article.signature > h3 { margin-top: 1rem; }
.badge { display: inline-block; border-radius: 1rem; padding: 0 0.6rem; font-size: 0.875rem; font-weight: 600; white-space: nowrap; }
.ok { color: var(--ok-fg); background: var(--ok-bg); }
.warn { color: var(--warn-fg); background: var(--warn-bg); }
.bad { color: var(--bad-fg); background: var(--bad-bg); }
p.note { color: var(--muted); }
div.alert { border-left: 4px solid currentColor; padding: 0.5rem 0.75rem; margin: 0.5rem 0; }
pre.command { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 0.75rem;
  white-space: pre-wrap; overflow-wrap: anywhere; margin: 0.25rem 0 1rem; }
figure { margin: 0.5rem 0 1rem; }
figure img { display: block; max-width: 100%; height: auto; max-height: 24rem; width: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 0.875rem; margin-top: 0.25rem; }
footer { border-top: 1px solid var(--line); margin-top: 3rem; padding-top: 1rem; padding-bottom: 2rem; color: var(--muted); font-size: 0.875rem; }
@media print {
  nav.toc, .skip { display: none; }
  article.artifact { break-inside: avoid; }
  a { color: inherit; }
}
`;
