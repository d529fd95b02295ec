import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkSync } from 'recheck';
import { Diagnostics, loadWorkspaceFromDisk } from '../../lib/model';
import { parseJson } from '../../lib/model/source';
import { scanForSecrets, SECRET_PATTERNS_FOR_TESTS } from '../../lib/model/secrets';
import { MINIMAL, REPO_ROOT } from '../support/workspace';

// Secrets below are built from pieces so that the repository's own secretlint run (pre-commit
// and CI) does not flag this file; none of them is real.
const j = (...parts: string[]): string => parts.join('');

/** Scan one string attribute of a browser flag; return the secret findings. */
function scan(value: string): { line: number; column: number; field?: string; message: string }[] {
  const text = JSON.stringify({ flags: { banner: { exposure: 'browser', default: { enabled: true, text: value } } } }, null, 2);
  const diags = new Diagnostics();
  const json = parseJson('flags/demo-app.json', Buffer.from(text), diags);
  if (!json) throw new Error('test JSON does not parse');
  scanForSecrets(json, diags);
  return diags.all.filter((d) => d.rule === 'policy/secret').map(({ line, column, field, message }) => ({ line, column, ...(field ? { field } : {}), message }));
}

function expectFinding(value: string, what: string): void {
  const found = scan(value);
  expect(found).toEqual([{ line: 7, column: 17, field: 'flags.banner.default.text', message: expect.stringContaining(what) }]);
}

describe('secrets: every shape is found, located at its value', () => {
  test('secrets: key=value', () => expectFinding(j('bucket=assets aws_secret_key=', 'Tq3v9XbLr2Kc8Wn5Yp1Hs7Dj4Fg6Mz0Qa2Ue8RiO'), "'aws_secret_key' pair"));
  test('secrets: key=value (AWS secret access key, the issue)', () => expectFinding(j('aws_secret_access_key', '=Tq3v9XbLr2Kc8Wn5Yp1Hs7Dj4Fg6Mz0Qa2Ue8RiO'), "'aws_secret_access_key' pair"));
  test('secrets: key: value', () => expectFinding(j('password', ': hunter22'), "'password' pair"));
  test('secrets: key=value with a client secret', () => expectFinding(j('client_secret', '=abcd1234efgh'), "'client_secret' pair"));
  test('secrets: JSON inside a string', () => {
    // The escape hides the token from a scan of the raw text; decoding the JSON shows it.
    expectFinding(j('{"db": {"host": "db.internal", "auth": "\\u0067hp_', 'a1B2'.repeat(9), '"}}'), 'GitHub token (in JSON inside the value)');
  });
  test('secrets: JSON inside JSON inside a string', () => expectFinding(JSON.stringify({ inner: JSON.stringify({ token: j('ghp_', 'a1B2'.repeat(9)) }) }), 'GitHub token'));
  test('secrets: credentials in a URL', () => expectFinding(j('postgres://admin:', 's3cr3tpw', '@db.internal:5432/app'), 'password in a URL'));
  test('secrets: percent-encoded credentials in a URL', () => expectFinding(j('https%3A%2F%2Fadmin%3A', 's3cr3tpw', '%40example.com%2F'), 'password in a URL (percent-encoded)'));
  test('secrets: PEM private key', () => expectFinding(j('-----BEGIN RSA ', 'PRIVATE KEY-----\nMIIEow\n-----END RSA ', 'PRIVATE KEY-----'), 'private key'));
  test('secrets: JWT', () => expectFinding(j('eyJhbGciOiJIUzI1NiJ9', '.eyJzdWIiOiIxMjM0NTY3ODkwIn0', '.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'), 'JSON Web Token'));
  test('secrets: Basic authorization header', () => expectFinding(j('Authorization: Basic ', 'dXNlcjpwYXNzd29yZDEyMw=='), 'Basic authorization'));
  test('secrets: Bearer authorization header', () => expectFinding(j('Authorization: Bearer ', 'a1B2c3D4e5F6g7H8i9J0k1L2'), 'Bearer token'));

  test.each([
    ['AWS access key ID', j('AKIA', 'ZQ3V9XBLR2KC8WN5'), 'AWS access key ID'],
    ['AWS temporary access key ID', j('ASIA', 'ZQ3V9XBLR2KC8WN5'), 'AWS access key ID'],
    ['GitHub', j('ghp_', 'a1B2'.repeat(9)), 'GitHub token'],
    ['GitHub fine-grained', j('github_pat_', 'a1B2c3D4e5'.repeat(8)), 'GitHub token'],
    ['GitLab', j('glpat-', 'abcDEF123456ghiJKL78'), 'GitLab token'],
    ['Slack', j('xoxb-', '1234567890-abcdefghij'), 'Slack token'],
    ['Slack webhook', j('https://hooks.slack.com/services/', 'T00000000/B00000000/', 'a1B2c3D4e5F6g7H8'), 'Slack'],
    ['Stripe', j('sk_live_', '4eC39HqLyjWDarjtT1zdp7dc'), 'Stripe secret key'],
    ['Google API key', j('AIza', 'SyA1234567890abcdefghijklmnopqrstuv'), 'Google API key'],
    ['Google OAuth client secret', j('GOCSPX-', 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4'), 'Google OAuth client secret'],
    ['npm', j('npm_', 'a1B2c3D4'.repeat(4), 'abcd'), 'npm token'],
    ['OpenAI', j('sk-proj-', 'a1B2c3D4e5'.repeat(5)), 'OpenAI API key'],
    ['Twilio', j('SK', '0123456789abcdef'.repeat(2)), 'Twilio API key'],
    ['SendGrid', j('SG.', 'a1B2c3D4e5F6g7H8i9J0k1', '.', 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0u1V'), 'SendGrid API key'],
    ['Azure storage key', j('DefaultEndpointsProtocol=https;AccountName=x;AccountKey=', 'A'.repeat(86), '=='), 'Azure storage account key'],
  ])('secrets: provider token (%s)', (_name, value, what) => expectFinding(value, what));

  test.each([
    ['Anthropic', j('sk-ant-api03-', 'a1B2c3D4e5'.repeat(9), 'AA'), 'Anthropic API key'],
    ['Shopify', j('shpat_', '0123456789abcdef'.repeat(2)), 'Shopify token'],
  ])('secrets: provider token only secretlint knows (%s)', (_name, value, what) => expectFinding(value, what));

  test('secrets: a message names what was found, never the secret', () => {
    const secret = j('Tq3v9XbLr2Kc8Wn5Yp1H', 's7Dj4Fg6Mz0Qa2Ue8RiO');
    const [finding] = scan(`aws_secret_key=${secret}`);
    expect(finding).toBeDefined();
    expect(JSON.stringify(finding)).not.toContain(secret.slice(0, 12));
  });
});

describe('secrets: no false positives', () => {
  test.each([
    ['AWS documentation access key', j('AKIAIOSFODNN7', 'EXAMPLE')],
    ['AWS documentation secret key', j('aws_secret_access_key=', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCY', 'EXAMPLEKEY')],
    ['a variable reference', 'password=${DB_PASSWORD}'],
    ['a template reference', 'postgres://admin:${DB_PASSWORD}@db.internal:5432/app'],
    ['a Secrets Manager ARN', 'client_secret=arn:aws:secretsmanager:us-east-1:111111111111:secret:app'],
    ['prose about tokens', 'The session token: rotated daily by the platform'],
    ['a URL without credentials', 'https://example.com/path?token=&x=1'],
    ['an ordinary sentence', 'Require a second factor at sign-in'],
  ])('secrets: %s is not a finding', (_name, value) => expect(scan(value)).toEqual([]));

  test('secrets: the sample and valid fixtures have no findings', () => {
    for (const root of [REPO_ROOT, MINIMAL]) {
      const result = loadWorkspaceFromDisk(root, { today: '2026-11-21', strict: true });
      expect(result.diagnostics.filter((d) => d.rule === 'policy/secret')).toEqual([]);
    }
    // Every JSON file of the sample, config and flags, scanned on its own too.
    const files = ['config', 'flags'].flatMap((dir) => listJson(path.join(REPO_ROOT, dir)));
    expect(files.length).toBeGreaterThan(5);
    const diags = new Diagnostics();
    for (const file of files) {
      const json = parseJson(path.relative(REPO_ROOT, file), fs.readFileSync(file), diags);
      if (json) scanForSecrets(json, diags);
    }
    expect(diags.all.filter((d) => d.rule === 'policy/secret')).toEqual([]);
  });
});

test("secrets: the project's own patterns run in linear time", () => {
  // Values come from files anyone can edit: a super-linear pattern here would stall validate.
  for (const re of SECRET_PATTERNS_FOR_TESTS) {
    const result = checkSync(re.source, re.flags.replace(/[gy]/g, ''), { timeout: 20000 });
    expect({ source: re.source, status: result.status }).toEqual({ source: re.source, status: 'safe' });
  }
});

function listJson(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return listJson(p);
    return e.name.endsWith('.json') ? [p] : [];
  });
}
