import { escapeJsonForHtml, renderSnapshotScript } from '../../lib/runtime/ssr';

const HOSTILE = {
  version: 'v1',
  flags: {
    banner: {
      enabled: true,
      text: '</script><script>alert(1)</script>',
      comment: '<!-- <script>',
      closeTag: '</SCRIPT >',
      separators: 'line\u2028paragraph\u2029end',
      amp: 'a & b > c',
    },
  },
};

describe('escapeJsonForHtml', () => {
  const escaped = escapeJsonForHtml(JSON.stringify(HOSTILE));

  test('leaves nothing that can close a script, open a comment, or end a line', () => {
    expect(escaped).not.toMatch(/<\/script/i);
    expect(escaped).not.toContain('<!--');
    expect(escaped).not.toMatch(/[<>&\u2028\u2029]/);
  });

  test('is the same JSON value', () => {
    expect(JSON.parse(escaped)).toEqual(HOSTILE);
  });

  test('is still a valid JavaScript expression with the same value', () => {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- evaluates the escaped output as a browser would, to prove it reads back as the input
    expect(new Function(`return ${escaped};`)()).toEqual(HOSTILE);
  });
});

describe('renderSnapshotScript', () => {
  test('embeds the snapshot as a JSON data block the HTML parser cannot break out of', () => {
    const html = renderSnapshotScript(HOSTILE);
    expect(html.startsWith('<script type="application/json" id="dynconf-snapshot">')).toBe(true);
    expect(html.endsWith('</script>')).toBe(true);
    // Exactly one closing tag: the element's own.
    expect(html.match(/<\/script/gi)).toHaveLength(1);
    const inner = html.slice(html.indexOf('>') + 1, html.lastIndexOf('</script>'));
    expect(JSON.parse(inner)).toEqual(HOSTILE);
  });

  test('adds a CSP nonce, escaped', () => {
    expect(renderSnapshotScript({}, { nonce: 'abc"><x' })).toContain('nonce="abc&#34;&#62;&#60;x"');
  });

  test('refuses an id that would need escaping', () => {
    expect(() => renderSnapshotScript({}, { id: 'x" onload="y' })).toThrow(/id 'x" onload="y' must be letters/);
  });
});
