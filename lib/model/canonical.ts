/**
 * The one serializer for everything AppConfig receives. Keys are sorted so that moving a
 * flag within its file changes no byte and so starts no deployment; array order is kept
 * because it means something (variants are evaluated in order).
 */
export function canonicalJson(value: unknown, pretty = true): string {
  const text = JSON.stringify(sortKeys(value), null, pretty ? 2 : undefined);
  return pretty ? `${text}\n` : text;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}
