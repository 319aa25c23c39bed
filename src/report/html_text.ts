import { SlimtrainError } from '../errors.js';

/**
 * Making text safe to place into an HTML page: as element text or attribute values, as JSON
 * inside a <script>, and as raw script or style source inlined into the page.
 */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text for element content or a quoted attribute value.
 *
 * @example
 * escapeHtml('<b>"a" & b</b>')   // '&lt;b&gt;&quot;a&quot; &amp; b&lt;/b&gt;'
 */
export function escapeHtml(text: string): string {
  return String(text).replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/**
 * JSON for a `<script type="application/json">` block. `<`, `>` and `&` become \u escapes (still
 * the same JSON), so no string in the data can close the script element or open a comment.
 * NaN and ±Infinity become null, as JSON.stringify does; the charts draw null as a gap.
 *
 * @example
 * jsonForScript({ title: '</script>' })   // '{"title":"\\u003c/script\\u003e"}'
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Script source to inline between <script> and </script>. A `</script` inside it would end the
 * element early; in a JS string or regex literal `<\/script` means the same, so that is what it
 * becomes. `<!--` is refused: it switches the HTML parser into a state where `</script>` no longer
 * ends the element, and no rewrite of it is safe in every JS context.
 */
export function inlineScript(source: string): string {
  if (source.includes('<!--')) throw new SlimtrainError('inlined script contains "<!--", which the HTML parser would treat as a comment start');
  return source.replace(/<\/(script)/gi, '<\\/$1');
}

/** Style source to inline between <style> and </style>; stylesheets never need `</style`, so it is refused. */
export function inlineStyle(source: string): string {
  if (/<\/style/i.test(source)) throw new SlimtrainError('inlined CSS contains "</style", which would end the <style> element early');
  return source;
}

/** Text for an HTML comment: `--` cannot appear inside one, and `>` right after `<!--` would end it. */
export function commentText(text: string): string {
  return text.replace(/--/g, '- -').replace(/>/g, '&gt;');
}
