/**
 * A JSON spec (an optimizer, a transform, a schedule) in one readable line, for reports:
 * `type` first, then the other fields; nested specs likewise.
 *
 * @example
 * specText({ type: 'adam', lr: { type: 'cosine', initial: 0.001 } })   // 'adam (lr cosine (initial 0.001))'
 */
export function specText(spec: unknown): string {
  if (Array.isArray(spec)) return spec.map(specText).join(', ');
  if (spec === null || typeof spec !== 'object') return typeof spec === 'string' ? spec : JSON.stringify(spec);
  const { type, ...rest } = spec as Record<string, unknown>;
  const fields = Object.entries(rest).map(([k, v]) => `${k} ${specText(v)}`).join(', ');
  return type === undefined ? fields : fields ? `${String(type)} (${fields})` : String(type);
}
