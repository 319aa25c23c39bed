import { escapeHtml } from './html_text.js';

/** The building blocks of a report page's body, as HTML text; every text argument is escaped. */

/** A chart's frame: a caption (title and subtitle), the empty container `id` and a footnote. */
export function figure(id: string, title: string, subtitle?: string, footnote?: string): string {
  return [
    '<figure>',
    `<figcaption><strong>${escapeHtml(title)}</strong>${subtitle ? `<span>${escapeHtml(subtitle)}</span>` : ''}</figcaption>`,
    `<div class="chart" id="${escapeHtml(id)}"></div>`,
    footnote ? `<p class="footnote">${escapeHtml(footnote)}</p>` : '',
    '</figure>',
  ].join('\n');
}

/** A boxed remark; `html` is inserted as is (escape its text). */
export function note(html: string): string {
  return `<p class="note">${html}</p>`;
}

/** A table of text cells, first column left-aligned, the others right-aligned (numbers); `compact` pads less. */
export function dataTable(head: string[], rows: string[][], options: { compact?: boolean } = {}): string {
  return [
    `<table class="data${options.compact ? ' compact' : ''}">`,
    `<thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`),
    '</tbody>',
    '</table>',
  ].join('\n');
}

/** A two-column table of settings: name, value (left-aligned, values may be long). */
export function settingsTable(caption: string, entries: readonly (readonly [string, string])[]): string {
  return [
    '<table class="data settings">',
    `<caption>${escapeHtml(caption)}</caption>`,
    '<tbody>',
    ...entries.map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`),
    '</tbody>',
    '</table>',
  ].join('\n');
}
