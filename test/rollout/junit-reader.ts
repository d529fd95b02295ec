/**
 * Reads back what lib/rollout/junit.ts writes, for the tests of the commands that report:
 * a minimal reader of the writer's own layout. Whether that layout is well-formed XML is
 * junit.test.ts's job (Chromium's parser); this only says what each case holds.
 */
/** What a report says, read back with a minimal reader of the writer's own layout. */
export interface ReadCase {
  readonly classname: string;
  readonly name: string;
  readonly failure?: { message: string; type: string; text: string };
  readonly error?: { message: string; type: string };
  readonly skipped?: string;
  readonly output?: string;
}

const unescape = (s: string) =>
  s.replace(/&(#\d+|lt|gt|amp|quot);/g, (_, e: string) => (e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'amp' ? '&' : e === 'quot' ? '"' : String.fromCharCode(Number(e.slice(1)))));
const attr = (tag: string, name: string) => {
  const m = new RegExp(`(?:^|\\s)${name}="([^"]*)"`).exec(tag);
  return m ? unescape(m[1]!) : undefined;
};

export function readCases(xml: string): ReadCase[] {
  const out: ReadCase[] = [];
  for (const m of xml.matchAll(/<testcase ([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const head = `<testcase ${m[1]}`;
    const body = m[3] ?? '';
    const failure = /<failure ([^>]*)>([\s\S]*?)<\/failure>/.exec(body);
    const error = /<error ([^>]*)>/.exec(body);
    const skipped = /<skipped ([^>]*)\/>/.exec(body);
    const output = /<system-out>([\s\S]*?)<\/system-out>/.exec(body);
    out.push({
      classname: attr(head, 'classname')!,
      name: attr(head, 'name')!,
      ...(failure ? { failure: { message: attr(failure[1]!, 'message')!, type: attr(failure[1]!, 'type')!, text: unescape(failure[2]!) } } : {}),
      ...(error ? { error: { message: attr(error[1]!, 'message')!, type: attr(error[1]!, 'type')! } } : {}),
      ...(skipped ? { skipped: attr(skipped[1]!, 'message') } : {}),
      ...(output ? { output: unescape(output[1]!) } : {}),
    });
  }
  return out;
}
