/**
 * A SourceTree over a git ref, for `dynconf diff --base <ref>`: the model reads the base
 * exactly as it reads the working tree, without a checkout or a temporary folder.
 *
 * Git stores a symbolic link as a blob of mode 120000 whose content is the link's target.
 * It is followed as DiskTree follows a link on disk: to a file or folder inside the
 * workspace, else the entry is of kind `other` with the reason. The link text itself is
 * never read as JSON. A submodule (mode 160000) is `other` too.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import type { DirEntry, EntryKind, EntryProblem, SourceTree } from '../model/source';
import { CommandError } from './command';

const SYMLINK_MODE = '120000';
const SUBMODULE_MODE = '160000';
/** As many hops as Linux follows (MAXSYMLINKS) before ELOOP. */
const MAX_LINK_HOPS = 40;
const SYMLINK_FIX = 'replace the link with a copy of the file, or point it at a file inside the workspace: dynconf reads only what the workspace (and so its git history) holds';

interface BlobEntry {
  readonly mode: string;
  readonly sha: string;
}

type Resolution = { readonly path: string } | { readonly problem: EntryProblem };

export class GitTree implements SourceTree {
  readonly label: string;
  /** Every blob (file, link, submodule) listed so far, by path. */
  private readonly entries = new Map<string, BlobEntry>();
  private readonly dirs = new Map<string, Set<string>>();
  private readonly contents = new Map<string, Uint8Array>();
  /** Paths outside config/ and flags/ already asked of git (link targets), to ask once. */
  private readonly listed = new Set<string>();
  private readonly git: (args: string[], input?: Buffer) => Buffer;

  constructor(
    root: string,
    private readonly ref: string,
    paths: readonly string[] = ['config', 'flags'],
  ) {
    this.label = `git:${ref}`;
    this.git = (args, input) => {
      try {
        return execFileSync('git', args, { cwd: root, input, maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'pipe'] });
      } catch (e) {
        const stderr = String((e as { stderr?: Buffer }).stderr ?? '').trim();
        throw new CommandError(`git ${args[0]} failed for '${ref}': ${stderr || (e as Error).message}`);
      }
    };
    this.git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    this.addListing(paths);
  }

  /** List paths of the ref and read the regular files among them in one batch. */
  private addListing(paths: readonly string[]): void {
    for (const p of paths) this.listed.add(p);
    const listing = this.git(['ls-tree', '-r', '-z', this.ref, '--', ...paths]).toString('utf8');
    const files: { path: string; sha: string }[] = [];
    for (const line of listing.split('\0')) {
      if (!line) continue;
      const tab = line.indexOf('\t');
      const [mode, type, sha] = line.slice(0, tab).split(' ');
      const filePath = line.slice(tab + 1);
      if (!mode || !sha || this.entries.has(filePath)) continue;
      this.addEntry(filePath, { mode, sha });
      // Link targets are short and read with the files; submodules have no blob here.
      if (type === 'blob') files.push({ path: filePath, sha });
    }
    if (files.length === 0) return;
    const out = this.git(['cat-file', '--batch'], Buffer.from(files.map((b) => b.sha).join('\n') + '\n'));
    let offset = 0;
    for (const blob of files) {
      const headerEnd = out.indexOf(10, offset);
      const size = Number(out.subarray(offset, headerEnd).toString('utf8').split(' ')[2]);
      this.contents.set(blob.path, out.subarray(headerEnd + 1, headerEnd + 1 + size));
      offset = headerEnd + 1 + size + 1;
    }
  }

  private addEntry(filePath: string, entry: BlobEntry): void {
    this.entries.set(filePath, entry);
    const parts = filePath.split('/');
    for (let i = 0; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      const names = this.dirs.get(dir) ?? this.dirs.set(dir, new Set()).get(dir)!;
      names.add(parts[i]!);
    }
  }

  /**
   * The path a relative path names once every link on it is followed, or why it cannot be
   * followed. A target that leaves the workspace (absolute, or `..` above the root) is a
   * problem, as on disk.
   */
  private resolve(relPath: string): Resolution {
    let pending = relPath.split('/').filter((s) => s !== '' && s !== '.');
    const done: string[] = [];
    let hops = 0;
    while (pending.length > 0) {
      const name = pending.shift()!;
      if (name === '..') {
        if (done.length === 0) return { problem: outside() };
        done.pop();
        continue;
      }
      done.push(name);
      const here = done.join('/');
      const entry = this.entryAt(here);
      if (entry?.mode !== SYMLINK_MODE) continue;
      if (++hops > MAX_LINK_HOPS) return { problem: { rule: 'file/symlink-dangling', message: `is a symbolic link that loops (at ${here} in ${this.label})`, fix: SYMLINK_FIX } };
      const target = Buffer.from(this.contents.get(here) ?? new Uint8Array()).toString('utf8');
      if (target === '' || path.posix.isAbsolute(target)) return { problem: outside(target) };
      done.pop();
      pending = [...target.split('/').filter((s) => s !== '' && s !== '.'), ...pending];
    }
    return { path: done.join('/') };
  }

  /** The blob at a path, asking git about paths outside the first listing (link targets). */
  private entryAt(p: string): BlobEntry | undefined {
    const known = this.entries.get(p);
    if (known || this.dirs.has(p)) return known;
    const top = p.split('/')[0]!;
    if (!this.listed.has(top) && !this.listed.has(p)) this.addListing([p]);
    return this.entries.get(p);
  }

  private describe(relPath: string): { kind: EntryKind; problem?: EntryProblem; path?: string } | undefined {
    const r = this.resolve(relPath);
    if ('problem' in r) return { kind: 'other', problem: r.problem };
    const entry = this.entryAt(r.path);
    if (entry?.mode === SUBMODULE_MODE) {
      return { kind: 'other', problem: { rule: 'file/not-regular', message: `is a git submodule in ${this.label}, not a file`, fix: 'replace the submodule with the files themselves' } };
    }
    if (entry) return { kind: 'file', path: r.path };
    if (this.dirs.has(r.path)) return { kind: 'directory', path: r.path };
    if (r.path !== relPath) {
      return { kind: 'other', problem: { rule: 'file/symlink-dangling', message: `is a symbolic link to '${r.path}', which does not exist in ${this.label}`, fix: SYMLINK_FIX } };
    }
    return undefined;
  }

  kind(relPath: string): EntryKind | undefined {
    return this.describe(relPath)?.kind;
  }

  problem(relPath: string): EntryProblem | undefined {
    return this.describe(relPath)?.problem;
  }

  list(relDir: string): DirEntry[] | undefined {
    const d = this.describe(relDir);
    if (d?.kind !== 'directory') return undefined;
    const names = [...(this.dirs.get(d.path!) ?? [])].sort();
    return names.map((name) => ({ name, kind: this.kind(relDir ? `${relDir}/${name}` : name) ?? 'other' }));
  }

  read(relPath: string): Uint8Array {
    const d = this.describe(relPath);
    const content = d?.kind === 'file' ? this.contents.get(d.path!) : undefined;
    if (!content) throw new Error(`${relPath} is not a file in ${this.label}`);
    return content;
  }
}

function outside(target?: string): EntryProblem {
  return {
    rule: 'file/symlink-outside',
    message: `is a symbolic link${target ? ` to '${target}'` : ''} that leads out of the workspace`,
    fix: SYMLINK_FIX,
  };
}
