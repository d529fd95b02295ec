import { LocalAgent, LocalAgentError, DEFAULT_AGENT_PORT } from '../../runtime';
import { CommandError, EXIT_OK, numberOption, requiredOption, stringOption, type Command } from '../command';
import { ROOT_OPTION, workspaceRoot } from '../workspace';

export const agentCommand: Command = {
  name: 'agent',
  summary: 'serve the compiled documents over the AppConfig Agent HTTP contract, live on edit',
  usage: `usage: dynconf agent --env <env> [--port ${DEFAULT_AGENT_PORT}] [--host 127.0.0.1] [--token <t>] [--root <dir>]

Serves GET /applications/{app}/environments/{env}/configurations/{profile} for one
environment, from config/ and flags/ of the workspace, as the AppConfig Agent does on a node:
feature flags evaluated (?flag= subsets, Context: key=value headers for variants), freeform
profiles as they are, a Configuration-Version header that changes with the content.
Edits are served within a second; an edit that does not validate is logged and the last
good version stays. Runs until interrupted.
  --env     the environment to serve (required)
  --port    TCP port (default ${DEFAULT_AGENT_PORT}; 0 picks a free one)
  --host    interface to listen on (default 127.0.0.1)
  --token   require Authorization: Bearer <token>`,
  options: { ...ROOT_OPTION, env: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, token: { type: 'string' } },
  async run(args, io) {
    const environment = requiredOption(args, 'env');
    const port = numberOption(args, 'port', DEFAULT_AGENT_PORT, { min: 0, max: 65535 });
    const host = stringOption(args, 'host') ?? '127.0.0.1';
    const token = stringOption(args, 'token');
    const root = workspaceRoot(args, io);
    let agent: LocalAgent;
    try {
      agent = await LocalAgent.start({ root, environment, port, host, ...(token ? { token } : {}), log: (line) => io.stderr.write(`${line}\n`) });
    } catch (e) {
      if (e instanceof LocalAgentError) {
        for (const d of e.diagnostics) io.stdout.write(`${d}\n`);
        throw new CommandError(e.message);
      }
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'EADDRINUSE') throw new CommandError(`port ${port} on ${host} is in use; stop the other agent or pass --port`);
      throw e;
    }
    const docs = Object.keys(agent.versions()).length;
    io.stdout.write(`dynconf agent: serving ${environment} (${docs} documents) on ${agent.url}${token ? ' (token required)' : ''}\n`);
    await untilAborted(io.signal);
    await agent.close();
    io.stdout.write('dynconf agent: stopped\n');
    return EXIT_OK;
  },
};

export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
