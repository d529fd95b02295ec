/**
 * JSON syntax errors say what is wrong in words a person can act on, at the character to
 * change: a doubled comma is not a trailing comma, a missing comma is pointed at where it
 * goes, a bracket closed with the wrong kind names the one it should close.
 */
import { Diagnostics } from '../../lib/model/diagnostics';
import { parseJson } from '../../lib/model/source';

function syntaxError(text: string) {
  const diags = new Diagnostics();
  expect(parseJson('f.json', new TextEncoder().encode(text), diags)).toBeUndefined();
  const [d, ...rest] = diags.all;
  expect(rest).toEqual([]);
  expect(d).toMatchObject({ rule: 'json/syntax', severity: 'error' });
  return d!;
}

/** The text at a diagnostic's line and column. */
function at(text: string, d: { line: number; column: number }): string {
  return text.split('\n')[d.line - 1]!.slice(d.column - 1);
}

describe('commas', () => {
  test.each([
    ['in an array', '[1,,2]', ',2]'],
    ['in an object', '{"a":1,,"b":2}', ',"b":2}'],
    ['with spaces between', '{"a" : 1 , , "b": 2}', ', "b": 2}'],
    ['across lines', '{"a":1,\n,"b":2}', ',"b":2}'],
    ['before the closing bracket', '{"a": [1, 2,, ]}', ', ]}'],
  ])('json: a doubled comma %s is called two commas in a row, not a trailing comma', (_where, text, rest) => {
    const d = syntaxError(text);
    expect(d.message).toBe('two commas in a row');
    expect(d.fix).toContain('remove one of them');
    expect(at(text, d)).toBe(rest);
  });

  test.each([
    ['{"a":1,}', '}'],
    ['[1,]', ']'],
    ['{"a": null,\n}', '}'],
  ])('json: a trailing comma in %j is called a trailing comma, at the comma', (text, bracket) => {
    const d = syntaxError(text);
    expect(d.message).toBe('trailing comma');
    expect(d.fix).toContain(`before the closing '${bracket}'`);
    expect(at(text, d).startsWith(',')).toBe(true);
  });

  test.each([
    ['{,"a":1}', 'comma before the first entry'],
    ['[,1]', 'comma before the first item'],
  ])('json: a leading comma in %j is named as such', (text, message) => {
    expect(syntaxError(text).message).toBe(message);
  });

  test.each([
    ['two entries on a line', '{"a":1 "b":2}', 'missing comma before "b"', "add ',' after '1'", ' "b":2}'],
    ['two items', '[1 2]', 'missing comma before 2', "add ',' after '1'", ' 2]'],
    ['two strings', '{"a": "x" "y"}', 'missing comma before "y"', `add ',' after '"x"'`, ' "y"}'],
    ['entries on two lines', '{"a":1\n"b":2}', 'missing comma before "b"', "add ',' at the end of line 1", ''],
  ])('json: a missing comma (%s) is pointed at where the comma goes', (_what, text, message, fix, rest) => {
    const d = syntaxError(text);
    expect(d.message).toBe(message);
    expect(d.fix).toContain(fix);
    expect(at(text, d)).toBe(rest);
  });
});

describe('colons and values', () => {
  test.each([
    ['a missing colon', '{"a" 1}', `missing ':' after the key "a"`, 'write "a": <value>'],
    ['a missing colon and value', '{"a","b"}', `missing ':' after the key "a"`, 'write "a": <value>'],
    ['an equals sign', '{"a"=1}', `'=' after "a": JSON separates a key from its value with ':'`, 'write "a": <value>'],
    ['a doubled colon', '{"a"::1}', 'two colons after "a"', 'remove one of them'],
    ['a key without a value', '{"a":,"b":2}', '"a" has no value', 'null, if there is none'],
    ['a last key without a value', '{"a":1,"b":}', '"b" has no value', 'null, if there is none'],
    ['a second colon after a value', '{"a":1:2}', "unexpected ':' after a value", 'one colon per entry'],
  ])('json: %s is named', (_what, text, message, fix) => {
    const d = syntaxError(text);
    expect(d.message).toBe(message);
    expect(d.fix).toContain(fix);
  });
});

describe('brackets, quotes and words from other languages', () => {
  test.each([
    ['an array closed with }', '{"a": [1, 2}', "'}' where the array opened at line 1, column 7 needs its ']'", "close the array with ']' before this '}'"],
    ['an object closed with ]', '{"a": {"b": 1]}', "']' where the object opened at line 1, column 7 needs its '}'", "close the object with '}' before this ']'"],
    ['a truncated file', '{"a": [1, {"b": 2', 'file ends before the JSON value is complete (truncated?)', 'close the object opened at line 1, column 11 and the 2 around it (}]})'],
    ['one } too many', '{"a": {"x": 1}},\n"b": 2}', "text after the end of the file's value: the '}' at line 1, column 15 already closes the top-level object", 'if that \'}\' is one too many'],
    ['a single-quoted key', "{'a':1}", 'single quotes: JSON keys are written in double quotes', 'write "a"'],
    ['a single-quoted string', `{"a":'x y'}`, 'single quotes: JSON strings are written in double quotes', 'write "x y"'],
    ['an unquoted key', '{a:1}', 'key a is not quoted', 'write "a"'],
    ['a capitalised boolean', '{"a": True}', 'True is not a JSON value', 'write true'],
    ['None', '{"a": None}', 'None is not a JSON value', 'write null'],
    ['NaN', '{"a": NaN}', 'JSON has no NaN', 'write null'],
    ['an unquoted string', '{"a": INFO}', 'INFO is not a JSON value', 'write "INFO"'],
    ['a semicolon', '{"a":1;"b":2}', "';' between entries", "with ','"],
    ['a leading zero', '{"a": 007}', 'a JSON number cannot start with 0', 'write 7, or a string if the zeros matter ("007")'],
    ['a bare decimal point', '{"a": .5}', 'a JSON number needs a digit before the decimal point', 'write 0.5'],
    ['a plus sign', '[+1]', "a JSON number has no '+' sign", 'write 1'],
  ])('json: %s is named with its fix', (_what, text, message, fix) => {
    const d = syntaxError(text);
    expect(d.message).toBe(message);
    expect(d.fix).toContain(fix);
  });

  test('json: an invalid escape is pointed at, not the start of its string', () => {
    const text = '{"path": "C:\\\\dir\\q"}';
    const d = syntaxError(text);
    expect(d.message).toBe("invalid escape '\\q' in a string");
    expect(at(text, d)).toBe('\\q"}');
  });
});
