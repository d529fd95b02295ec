import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiskTree } from '../../model';
import { NEW_FLAG_LIFETIME_DAYS, planNewApp, planNewFlag, type FileEdit, type ScaffoldResult } from '../../model/scaffold';
import { choiceOption, CommandError, EXIT_OK, stringOption, UsageError, type Command, type ParsedArgs } from '../command';
import { printDiagnostics, ROOT_OPTION, workspaceRoot } from '../workspace';

export const newCommand: Command = {
  name: 'new',
  summary: 'add an application (every file validate requires) or a flag, keeping each file\'s formatting',
  usage: `usage: dynconf new app <name> [--owner <team>] [--description <text>] [--root <dir>]
       dynconf new flag <app> <flag> [--exposure server|browser] [--expires YYYY-MM-DD|none] [--root <dir>]

new app    adds the application to config/workload.json, and writes flags/<name>.json (no
           flags), config/ops/<name>/schema.json (draft-04, no keys) and default.json, and
           its stack part in config/layout.json. Pieces that already exist (an application
           started by hand) are kept as they are; an application with every piece is
           refused. --owner is required unless workload.json already declares it.
new flag   adds <flag> to flags/<app>.json, disabled by default and in every environment,
           owned by the application's owner. --exposure defaults to server. --expires
           defaults to ${NEW_FLAG_LIFETIME_DAYS} days from today (validate warns two weeks before); 'none'
           for a flag meant to stay, such as a kill switch.
Nothing is written unless the workspace validates afterwards; then every file is written,
or, on any failure, none.`,
  options: { ...ROOT_OPTION, owner: { type: 'string' }, description: { type: 'string' }, exposure: { type: 'string' }, expires: { type: 'string' } },
  allowPositionals: true,
  async run(args, io) {
    const [kind, ...names] = args.positionals;
    const root = workspaceRoot(args, io);
    const tree = new DiskTree(root);
    let result: ScaffoldResult;
    if (kind === 'app') {
      onlyOptions(args, ['owner', 'description'], 'new app');
      if (names.length !== 1) throw new UsageError('new app takes one name: dynconf new app <name>');
      result = planNewApp(tree, { name: names[0]!, owner: stringOption(args, 'owner'), description: stringOption(args, 'description') });
    } else if (kind === 'flag') {
      onlyOptions(args, ['exposure', 'expires'], 'new flag');
      if (names.length !== 2) throw new UsageError('new flag takes an application and a flag key: dynconf new flag <app> <flag>');
      const exposure = choiceOption(args, 'exposure', ['server', 'browser'] as const, 'server');
      result = planNewFlag(tree, { app: names[0]!, flag: names[1]!, exposure, expires: stringOption(args, 'expires') });
    } else {
      throw new UsageError(kind === undefined ? 'say what to add: app or flag' : `unknown kind '${kind}': use app or flag`);
    }
    if (!result.ok) {
      if (result.usage) throw new UsageError(result.message);
      printDiagnostics(result.diagnostics, io);
      throw new CommandError(result.message);
    }
    const { plan } = result;
    writeEdits(root, plan.edits);
    const where = path.relative(io.cwd, root);
    io.stdout.write(`dynconf new ${kind} ${names.join(' ')}${where ? ` (in ${where})` : ''}:\n`);
    for (const e of plan.edits) io.stdout.write(`  ${e.previous === undefined ? 'created' : 'changed'} ${e.file}: ${e.summary}\n`);
    for (const k of plan.kept) io.stdout.write(`  kept    ${k}: already there, left as it was\n`);
    for (const w of plan.warnings) io.stdout.write(`  warning: ${w.message}${w.fix ? ` (fix: ${w.fix})` : ''}\n`);
    io.stdout.write('next:\n');
    for (const step of plan.next) io.stdout.write(`  ${step}\n`);
    return EXIT_OK;
  },
};

function onlyOptions(args: ParsedArgs, allowed: readonly string[], what: string): void {
  for (const name of ['owner', 'description', 'exposure', 'expires']) {
    if (args.values[name] !== undefined && !allowed.includes(name)) throw new UsageError(`--${name} does not apply to ${what}`);
  }
}

/** The file system calls writeEdits makes; tests replace one to fail at every step. */
export interface WriteOps {
  exists(file: string): boolean;
  readFile(file: string): string | undefined;
  mkdir(dir: string): void;
  writeFile(file: string, content: string): void;
  rename(from: string, to: string): void;
  remove(file: string): void;
  rmdir(dir: string): void;
}

export const DISK_OPS: WriteOps = {
  exists: (file) => fs.existsSync(file),
  readFile: (file) => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  },
  mkdir: (dir) => fs.mkdirSync(dir),
  writeFile: (file, content) => fs.writeFileSync(file, content),
  rename: (from, to) => fs.renameSync(from, to),
  remove: (file) => fs.rmSync(file, { force: true }),
  rmdir: (dir) => fs.rmdirSync(dir),
};

/** Where an edit's new content waits until every file has been written. */
export function stagingPath(file: string): string {
  return `${file}.dynconf-new-${process.pid}`;
}

/**
 * Write every edit or none. Each file's new content is first written beside it; only when
 * all of them are written are they renamed into place. A failure before that removes what
 * was staged (and the folders made for it); a failure during the renames puts back the
 * files already replaced. A file that changed since the plan read it is not overwritten.
 */
export function writeEdits(root: string, edits: readonly FileEdit[], ops: WriteOps = DISK_OPS): void {
  const abs = (file: string) => path.join(root, file);
  for (const e of edits) {
    if (ops.readFile(abs(e.file)) !== e.previous) throw new CommandError(`${e.file} changed while dynconf new was running; nothing was written: run the command again`);
  }
  const madeDirs: string[] = [];
  const staged: string[] = [];
  const committed: FileEdit[] = [];
  const cleanUp = (): string[] => {
    const left: string[] = [];
    for (const s of staged) attempt(() => ops.remove(s), left, s);
    for (const d of [...madeDirs].reverse()) attempt(() => ops.rmdir(d), left, d);
    return left;
  };
  let current = '';
  try {
    for (const e of edits) {
      current = e.file;
      for (const dir of missingDirs(abs(e.file), root, ops)) {
        if (madeDirs.includes(dir)) continue;
        ops.mkdir(dir);
        madeDirs.push(dir);
      }
      const s = stagingPath(abs(e.file));
      staged.push(s);
      ops.writeFile(s, e.content);
    }
  } catch (err) {
    const left = cleanUp();
    throw new CommandError(`could not write ${current} (${describe(err)}); nothing was changed${leftover(left)}`);
  }
  try {
    for (const e of edits) {
      current = e.file;
      ops.rename(stagingPath(abs(e.file)), abs(e.file));
      staged.splice(staged.indexOf(stagingPath(abs(e.file))), 1);
      committed.push(e);
    }
  } catch (err) {
    const left: string[] = [];
    for (const e of [...committed].reverse()) {
      if (e.previous === undefined) attempt(() => ops.remove(abs(e.file)), left, abs(e.file));
      else attempt(() => ops.writeFile(abs(e.file), e.previous!), left, abs(e.file));
    }
    left.push(...cleanUp());
    throw new CommandError(`could not write ${current} (${describe(err)}); every file was put back as it was${leftover(left)}`);
  }
}

function attempt(action: () => void, left: string[], what: string): void {
  try {
    action();
  } catch {
    left.push(what);
  }
}

function leftover(left: readonly string[]): string {
  return left.length ? ` except: ${left.join(', ')} (remove or restore by hand)` : '';
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ?? e.message;
}

/** Folders between the workspace root and `file` that do not exist yet, outermost first. */
function missingDirs(file: string, root: string, ops: WriteOps): string[] {
  const out: string[] = [];
  for (let dir = path.dirname(file); dir.length > root.length && !ops.exists(dir); dir = path.dirname(dir)) out.unshift(dir);
  return out;
}
