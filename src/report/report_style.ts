/** The stylesheet of a training report page (after uPlot's own). Light, print-friendly, no web fonts. */
export const REPORT_CSS = `
:root { --ink: #1d2330; --muted: #5b6475; --line: #e3e6ec; --panel: #ffffff; --page: #f5f6f8; --accent: #1f77b4; }
* { box-sizing: border-box; }
html { background: var(--page); }
body { margin: 0; color: var(--ink); font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.page { max-width: 1160px; margin: 0 auto; padding: 28px 24px 40px; }
header h1 { margin: 0 0 4px; font-size: 24px; font-weight: 650; letter-spacing: -0.01em; overflow-wrap: anywhere; }
.meta { margin: 0; color: var(--muted); font-size: 13px; }
.meta code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #eceef2; padding: 1px 5px; border-radius: 4px; overflow-wrap: anywhere; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(132px, 1fr)); gap: 12px; margin: 20px 0 8px; padding: 0; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; margin: 0; }
.card dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; }
.card dd { margin: 2px 0 0; font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card dd small { display: block; font-size: 12px; font-weight: 400; color: var(--muted); }
section { margin-top: 28px; }
h2 { font-size: 17px; font-weight: 650; margin: 0 0 10px; }
h3 { font-size: 15px; font-weight: 600; margin: 18px 0 6px; }
.lead { margin: 0 0 12px; color: var(--muted); font-size: 13px; max-width: 80ch; }
.lead em { color: var(--ink); font-style: normal; font-weight: 600; }
.grid { display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(min(100%, 440px), 1fr)); }
.grid.three { grid-template-columns: repeat(auto-fit, minmax(min(100%, 340px), 1fr)); }
.grid.small { grid-template-columns: repeat(auto-fit, minmax(min(100%, 340px), 1fr)); }
figure { margin: 0; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px 8px; min-width: 0; }
figcaption { margin-bottom: 6px; }
figcaption strong { display: block; font-size: 14px; font-weight: 600; }
figcaption span { display: block; color: var(--muted); font-size: 12.5px; }
.chart { min-width: 0; overflow: hidden; }
.footnote { margin: 4px 0 0; color: var(--muted); font-size: 12px; }
.chart-tooltip { position: absolute; z-index: 10; pointer-events: none; white-space: pre-wrap; background: rgba(255, 255, 255, 0.96); border: 1px solid #c9ced8; border-radius: 6px; padding: 6px 8px; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; box-shadow: 0 2px 6px rgba(0, 0, 0, 0.12); max-width: 100%; overflow: hidden; }
.chart-error, .note { color: var(--muted); font-style: italic; padding: 12px 0; }
.note { background: var(--panel); border: 1px dashed #c9ced8; border-radius: 8px; padding: 14px 16px; font-style: normal; }
.note strong { color: var(--ink); }
.uplot { font-family: system-ui, sans-serif; }
.uplot .u-legend { font-size: 12.5px; margin-top: 2px; }
.uplot .u-legend .u-series > * { padding: 2px 4px; }
table.data { border-collapse: collapse; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; font-variant-numeric: tabular-nums; }
table.data th, table.data td { padding: 6px 12px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
table.data th { white-space: normal; min-width: 4em; font-size: 12px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: 0.03em; background: #fafbfc; }
table.data th:first-child, table.data td:first-child { text-align: left; }
table.data tr:last-child td { border-bottom: none; }
table.data.compact th, table.data.compact td { padding: 6px 8px; }
table.data caption { text-align: left; font-weight: 600; padding: 0 0 6px; }
table.settings th, table.settings td { text-align: left; white-space: normal; overflow-wrap: anywhere; }
table.settings th { text-transform: none; letter-spacing: 0; font-size: 12.5px; width: 1%; white-space: nowrap; }
.tables { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.scroll { overflow-x: auto; max-width: 100%; }
pre { margin: 0; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; overflow-x: auto; font: 12.5px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
details.epochs { margin-top: 14px; }
details summary { cursor: pointer; font-weight: 600; margin-bottom: 8px; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; }
@media (max-width: 560px) { .page { padding: 16px 10px 28px; } figure { padding: 10px 8px 6px; } table.data th, table.data td { padding: 5px 8px; } }
@media print { html { background: #fff; } .page { padding: 0; } figure, table, pre, .card { break-inside: avoid; } }
`;
