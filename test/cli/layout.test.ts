/** `dynconf layout`: writes config/layout.json atomically, --check for CI, --move. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../lib/cli/main';
import { captureIO, MINIMAL, rmrf, tempDir } from '../support/workspace';

let dir: string;
const layoutFile = () => path.join(dir, 'config/layout.json');
const parts = () => (JSON.parse(fs.readFileSync(layoutFile(), 'utf8')) as { parts: Record<string, number> }).parts;
async function run(...args: string[]) {
  const io = captureIO(dir);
  const code = await main([...args, '--root', dir], io.io);
  return { code, out: io.out(), err: io.err() };
}

beforeEach(() => {
  dir = tempDir();
  fs.cpSync(MINIMAL, dir, { recursive: true });
});
afterEach(() => rmrf(dir));

test('the minimal fixture is up to date: --check exits 0 and writes nothing', async () => {
  const before = fs.readFileSync(layoutFile(), 'utf8');
  const r = await run('layout', '--check');
  expect(r).toMatchObject({ code: 0 });
  expect(r.out).toContain('is up to date');
  expect(fs.readFileSync(layoutFile(), 'utf8')).toBe(before);
});

test('a new application: --check exits 1; layout places it and keeps the $schema of the file', async () => {
  const workloadFile = path.join(dir, 'config/workload.json');
  const workload = JSON.parse(fs.readFileSync(workloadFile, 'utf8')) as { applications: Record<string, unknown> };
  workload.applications['aaa-new'] = { owner: 'team-demo', description: 'New.' };
  fs.writeFileSync(workloadFile, JSON.stringify(workload, null, 2));
  fs.copyFileSync(path.join(dir, 'flags/demo-app.json'), path.join(dir, 'flags/aaa-new.json'));
  fs.cpSync(path.join(dir, 'config/ops/demo-app'), path.join(dir, 'config/ops/aaa-new'), { recursive: true });
  const before = fs.readFileSync(layoutFile(), 'utf8');

  const check = await run('layout', '--check');
  expect(check.code).toBe(1);
  expect(check.out).toContain('placed aaa-new in part 1');
  expect(check.out).toContain('is out of date');
  expect(fs.readFileSync(layoutFile(), 'utf8')).toBe(before);

  expect((await run('layout')).code).toBe(0);
  expect(parts()).toEqual({ 'aaa-new': 1, 'demo-app': 1 });
  expect(fs.readFileSync(layoutFile(), 'utf8')).toContain('"$schema": "../../../../../config/schemas/layout.schema.json"');
  expect(fs.readdirSync(path.join(dir, 'config')).filter((f) => f.includes('.tmp-'))).toEqual([]);
  expect((await run('validate')).code).toBe(0);
});

test('a missing file is written from scratch', async () => {
  fs.rmSync(layoutFile());
  expect((await run('validate')).out).toContain('config/layout.json:1:1 error file does not exist');
  const r = await run('layout');
  expect(r.code).toBe(0);
  expect(parts()).toEqual({ 'demo-app': 1 });
});

test('--move gives the application another part and says what that recreates', async () => {
  const r = await run('layout', '--move', 'demo-app');
  expect(r.code).toBe(0);
  expect(r.out).toContain('moved demo-app from part 1 to part 2: its Application and Environments will be recreated');
  expect(parts()).toEqual({ 'demo-app': 2 });
  expect((await run('layout', '--move', 'nope')).code).toBe(2);
});

test('a malformed file is not guessed at', async () => {
  fs.writeFileSync(layoutFile(), '{ "parts": { "demo-app": "one" } }');
  const r = await run('layout');
  expect(r.code).toBe(1);
  expect(r.out + r.err).toMatch(/config\/layout\.json:1:\d+ error parts\.demo-app: .*expected integer/);
  expect(r.out + r.err).toContain('fix it by hand');
});
