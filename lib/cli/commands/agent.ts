import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalAgent, LocalAgentError, DEFAULT_AGENT_PORT } from '../../runtime';
import { isHostNameEntry } from '../../runtime/host-check';
import { CommandError, EXIT_OK, numberOption, requiredOption, stringOption, UsageError, type Command, type CommandIO, type ParsedArgs } from '../command';
import { ROOT_OPTION, workspaceRoot } from '../workspace';

/** The --allow-host help of both servers (indented for a 16-column option name). */
export const ALLOW_HOST_HELP = `a host name the server answers to (repeatable; .example.com for its
                subdomains); requests for other names get 421, against DNS rebinding.
                localhost and IP addresses are always allowed`;

export const agentCommand: Command = {
  name: 'agent',
  summary: 'serve the compiled documents over the AppConfig Agent HTTP contract, live on edit',
  usage: `usage: dynconf agent --env <env> [--port ${DEFAULT_AGENT_PORT}] [--host 127.0.0.1] [--token-file <f>]
                     [--allow-host <name>]... [--root <dir>]

Serves GET /applications/{app}/environments/{env}/configurations/{profile} for one
environment, from config/ and flags/ of the workspace, as the AppConfig Agent does on a node:
feature flags evaluated (?flag= subsets, Context: key=value headers for variants), freeform
profiles as they are, a Configuration-Version header that changes with the content.
Edits are served within a second (git stash, checkout and replaced folders too: the files
are also compared every 2 s); an edit that does not validate is logged and the last good
version stays. Runs until interrupted.
  --env         the environment to serve (required)
  --port        TCP port (default ${DEFAULT_AGENT_PORT}; 0 picks a free one)
  --host        interface to listen on (default 127.0.0.1)
  --token-file  require Authorization: Bearer <the file's content>, read once at start;
                without it, APPCONFIG_AGENT_TOKEN from the environment when set
  --token       the same with the token itself: visible to every local user in ps and
                /proc/<pid>/cmdline, so prefer --token-file or APPCONFIG_AGENT_TOKEN
  --allow-host  ${ALLOW_HOST_HELP}`,
  options: {
    ...ROOT_OPTION,
    env: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    token: { type: 'string' },
    'token-file': { type: 'string' },
    'allow-host': { type: 'string', multiple: true },
  },
  async run(args, io) {
    const environment = requiredOption(args, 'env');
    const port = numberOption(args, 'port', DEFAULT_AGENT_PORT, { min: 0, max: 65535 });
    const host = stringOption(args, 'host') ?? '127.0.0.1';
    const allowedHosts = allowHostOption(args);
    const auth = agentToken(args, io);
    const root = workspaceRoot(args, io);
    if (!auth && !isLoopback(host)) {
      io.stderr.write(`dynconf agent: warning: listening on ${host} without a token: anyone who can reach this port reads every document of ${environment}; pass --token-file or set APPCONFIG_AGENT_TOKEN\n`);
    }
    let agent: LocalAgent;
    try {
      agent = await LocalAgent.start({ root, environment, port, host, allowedHosts, ...(auth ? { token: auth.token } : {}), log: (line) => io.stderr.write(`${line}\n`) });
    } catch (e) {
      if (e instanceof LocalAgentError) {
        for (const d of e.diagnostics) io.stdout.write(`${d}\n`);
        throw new CommandError(e.message);
      }
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'EADDRINUSE') throw new CommandError(`port ${port} on ${host} is in use; stop the other agent or pass --port`);
      if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') throw new CommandError(`--host ${host} is not an address of this machine; pass one of its addresses, or 127.0.0.1`);
      throw e;
    }
    const docs = Object.keys(agent.versions()).length;
    io.stdout.write(`dynconf agent: serving ${environment} (${docs} documents) on ${agent.url}${auth ? ` (token required, from ${auth.from})` : ''}\n`);
    await untilAborted(io.signal);
    await agent.close();
    io.stdout.write('dynconf agent: stopped\n');
    return EXIT_OK;
  },
};

/**
 * The token, from (in this order) --token-file, --token, APPCONFIG_AGENT_TOKEN: an explicit
 * option wins over the environment, as everywhere in dynconf. APPCONFIG_AGENT_TOKEN is the
 * name the services read, so one exported variable serves both sides on a laptop. Read once:
 * the AppConfig Agent reads its ACCESS_TOKEN once too, and a rotation restarts it.
 */
function agentToken(args: ParsedArgs, io: CommandIO): { readonly token: string; readonly from: string } | undefined {
  const file = stringOption(args, 'token-file');
  const inline = stringOption(args, 'token');
  if (file !== undefined && inline !== undefined) throw new UsageError('pass --token-file or --token, not both');
  if (file !== undefined) {
    const abs = path.resolve(io.cwd, file);
    let text: string;
    try {
      text = fs.readFileSync(abs, 'utf8');
    } catch (e) {
      throw new CommandError(`--token-file ${abs} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); write the token into it or pass another file`);
    }
    const token = text.trim();
    if (!token) throw new CommandError(`--token-file ${abs} is empty; write the token into it`);
    if (/\s/.test(token)) throw new CommandError(`--token-file ${abs} holds more than one word; a bearer token has no spaces or line breaks`);
    return { token, from: abs };
  }
  if (inline !== undefined) {
    io.stderr.write('dynconf agent: warning: --token puts the token on the command line, where ps and /proc/<pid>/cmdline show it to every local user; use --token-file <file> or APPCONFIG_AGENT_TOKEN instead\n');
    if (inline.trim() === '') throw new UsageError('--token is empty');
    return { token: inline, from: '--token' };
  }
  const env = io.env.APPCONFIG_AGENT_TOKEN?.trim();
  return env ? { token: env, from: 'APPCONFIG_AGENT_TOKEN' } : undefined;
}

/** --allow-host, repeatable, each a DNS name or .name (usage error otherwise). */
export function allowHostOption(args: ParsedArgs): string[] {
  const hosts = (args.values['allow-host'] as string[] | undefined) ?? [];
  for (const h of hosts) {
    if (!isHostNameEntry(h)) {
      throw new UsageError(`--allow-host takes a host name like app.example.com (or .example.com for its subdomains), without scheme, port or path (got '${h}')`);
    }
  }
  return hosts;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
