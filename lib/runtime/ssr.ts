/**
 * Server-side rendering: put the browser snapshot into HTML so the first paint already has
 * the flags. A flag attribute is data an editor typed; inside a <script> element the HTML
 * parser ends the element at the first `</script` and treats `<!--` specially whatever the
 * JSON means, so those characters never appear literally. U+2028 and U+2029 are escaped too:
 * they are line terminators to older JavaScript parsers and break inline scripts that
 * evaluate the JSON as code.
 */

/** The id of the element the browser client reads (readEmbeddedSnapshot). */
export const SNAPSHOT_ELEMENT_ID = 'dynconf-snapshot';

const UNSAFE = /[<>&\u2028\u2029]/g;
const ESCAPES: Readonly<Record<string, string>> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/**
 * JSON text that is still the same JSON value, with no character that can end a script
 * element, open an HTML comment, or be read as a line terminator. `JSON.parse` of the
 * result equals `JSON.parse` of the input.
 */
export function escapeJsonForHtml(json: string): string {
  return json.replace(UNSAFE, (c) => ESCAPES[c]!);
}

export interface SnapshotScriptOptions {
  /** @default 'dynconf-snapshot' */
  readonly id?: string;
  /**
   * A Content-Security-Policy nonce for the element.
   * @default - no nonce attribute
   */
  readonly nonce?: string;
}

/**
 * A `<script type="application/json">` element holding the snapshot: data, not code, so a
 * strict CSP needs no 'unsafe-inline' for it. The browser client reads it before connecting.
 */
export function renderSnapshotScript(snapshot: unknown, options: SnapshotScriptOptions = {}): string {
  const id = options.id ?? SNAPSHOT_ELEMENT_ID;
  if (!/^[A-Za-z][\w-]*$/.test(id)) throw new Error(`renderSnapshotScript: id '${id}' must be letters, digits, '-' or '_', starting with a letter`);
  const nonce = options.nonce === undefined ? '' : ` nonce="${escapeAttribute(options.nonce)}"`;
  return `<script type="application/json" id="${id}"${nonce}>${escapeJsonForHtml(JSON.stringify(snapshot))}</script>`;
}

function escapeAttribute(s: string): string {
  return s.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);
}
