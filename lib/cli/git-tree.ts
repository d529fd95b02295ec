/**
 * A SourceTree over a git ref, for `dynconf diff --base <ref>`: the model reads the base
 * exactly as it reads the working tree, without a checkout or a temporary folder.
 */
import { execFileSync } from 'node:child_process';
import type { DirEntry, EntryKind, SourceTree } from '../model';
import { CommandError } from './command';

export class GitTree implements SourceTree {
  readonly label: string;
  private readonly files = new Map<string, Uint8Array>();
  private readonly dirs = new Map<string, Map<string, EntryKind>>();

  constructor(root: string, ref: string, paths: readonly string[] = ['config', 'flags']) {
    this.label = `git:${ref}`;
    const git = (args: string[], input?: Buffer): Buffer => {
      try {
        return execFileSync('git', args, { cwd: root, input, maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'pipe'] });
      } catch (e) {
        const stderr = String((e as { stderr?: Buffer }).stderr ?? '').trim();
        throw new CommandError(`git ${args[0]} failed for '${ref}': ${stderr || (e as Error).message}`);
      }
    };
    git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    const listing = git(['ls-tree', '-r', '-z', ref, '--', ...paths]).toString('utf8');
    const blobs: { path: string; sha: string }[] = [];
    for (const line of listing.split('\0')) {
      if (!line) continue;
      const tab = line.indexOf('\t');
      const [, type, sha] = line.slice(0, tab).split(' ');
      if (type === 'blob' && sha) blobs.push({ path: line.slice(tab + 1), sha });
    }
    if (blobs.length > 0) {
      const out = git(['cat-file', '--batch'], Buffer.from(blobs.map((b) => b.sha).join('\n') + '\n'));
      let offset = 0;
      for (const blob of blobs) {
        const headerEnd = out.indexOf(10, offset);
        const size = Number(out.subarray(offset, headerEnd).toString('utf8').split(' ')[2]);
        this.addFile(blob.path, out.subarray(headerEnd + 1, headerEnd + 1 + size));
        offset = headerEnd + 1 + size + 1;
      }
    }
  }

  private addFile(filePath: string, content: Uint8Array): void {
    this.files.set(filePath, content);
    const parts = filePath.split('/');
    for (let i = 0; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      const entries = this.dirs.get(dir) ?? this.dirs.set(dir, new Map()).get(dir)!;
      entries.set(parts[i]!, i === parts.length - 1 ? 'file' : 'directory');
    }
  }

  kind(relPath: string): EntryKind | undefined {
    if (this.files.has(relPath)) return 'file';
    return this.dirs.has(relPath) ? 'directory' : undefined;
  }

  list(relDir: string): DirEntry[] | undefined {
    const entries = this.dirs.get(relDir);
    if (!entries) return undefined;
    return [...entries.entries()].map(([name, kind]) => ({ name, kind })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  read(relPath: string): Uint8Array {
    const content = this.files.get(relPath);
    if (!content) throw new Error(`${relPath} is not in ${this.label}`);
    return content;
  }
}
