/**
 * The one serializer for everything AppConfig receives: compact JSON with object keys
 * sorted. Sorting means moving a flag within its file changes no byte and so starts no
 * deployment; array order is kept because it means something (variants are evaluated in
 * order). Written directly, without building sorted copies, because validate compiles
 * thousands of documents on a large workload.
 */
export function canonicalJson(value: unknown): string {
  return write(value);
}

function write(v: unknown): string {
  if (v === null || typeof v !== 'object') {
    // undefined only occurs as a missing member, which callers never pass at the top level.
    return JSON.stringify(v) ?? 'null';
  }
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i > 0 ? ',' : '') + write(v[i] === undefined ? null : v[i]);
    return `${out}]`;
  }
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const item = obj[k];
    if (item === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${write(item)}`;
    first = false;
  }
  return `${out}}`;
}
