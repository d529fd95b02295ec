import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { BffGateway, BffStartError } from '../../runtime/bff';
import { CommandError, EXIT_OK, numberOption, requiredOption, stringOption, UsageError, type Command } from '../command';
import { requireModel, ROOT_OPTION, workspaceRoot } from '../workspace';
import { ALLOW_HOST_HELP, allowHostOption, untilAborted } from './agent';

export const bffCommand: Command = {
  name: 'bff',
  summary: "serve an application's browser flags: GET /config, WebSocket /config/ws, a demo page",
  usage: `usage: dynconf bff --agent <url> --app <app> --env <env> [--port 8080] [--host 127.0.0.1]
                   [--token-file <f>] [--poll-interval <seconds>] [--allow-origin <origin>]...
                   [--allow-host <name>]... [--root <dir>]

Reads the application's browser profile (only flags with "exposure": "browser") from the
agent and serves it to browsers: GET /config (the snapshot), a WebSocket at /config/ws
(the snapshot on connect and on every change), /config/client.js (the browser client) and
a demo page at /. One upstream poll serves every client. Runs until interrupted.
  --agent          agent base URL, e.g. http://127.0.0.1:2772 (required)
  --app, --env     the application and environment (required)
  --port           TCP port (default 8080; 0 picks a free one)
  --host           interface to listen on (default 127.0.0.1)
  --token-file     file holding the agent token (re-read on every request: rotation works);
                   without it, APPCONFIG_AGENT_TOKEN from the environment when set
  --poll-interval  seconds between agent reads (default 5)
  --allow-origin   another origin whose pages may connect, compared whole: scheme, host
                   and port (repeatable; the BFF's own origin always may)
  --allow-host     ${ALLOW_HOST_HELP.replaceAll('\n ', '\n    ')}`,
  options: {
    ...ROOT_OPTION,
    agent: { type: 'string' },
    app: { type: 'string' },
    env: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    'token-file': { type: 'string' },
    'poll-interval': { type: 'string' },
    'allow-origin': { type: 'string', multiple: true },
    'allow-host': { type: 'string', multiple: true },
  },
  async run(args, io) {
    const agentUrl = requiredOption(args, 'agent');
    const application = requiredOption(args, 'app');
    const environment = requiredOption(args, 'env');
    if (!/^https?:\/\/[^/]+\/?$/.test(agentUrl)) throw new UsageError(`--agent must be a base URL like http://127.0.0.1:2772 (got '${agentUrl}')`);
    const port = numberOption(args, 'port', 8080, { min: 0, max: 65535 });
    const host = stringOption(args, 'host') ?? '127.0.0.1';
    const pollSeconds = numberOption(args, 'poll-interval', 5, { min: 0.1, max: 3600 });
    const origins = (args.values['allow-origin'] as string[] | undefined) ?? [];
    for (const o of origins) {
      if (!/^https?:\/\/[^/@]+$/.test(o)) throw new UsageError(`--allow-origin takes scheme://host[:port] without a path (got '${o}')`);
    }
    const hosts = allowHostOption(args);

    // The boundary is drawn by the model: an application without browser flags has no
    // browser profile, and a BFF for it has nothing it may serve.
    const model = requireModel(workspaceRoot(args, io), io);
    const app = model.applications.find((a) => a.name === application);
    if (!app) throw new CommandError(`application '${application}' is not in config/workload.json (applications: ${model.applications.map((a) => a.name).join(', ')})`);
    if (!model.environments.includes(environment)) throw new CommandError(`environment '${environment}' is not in config/workload.json (environments: ${model.environments.join(', ')})`);
    if (!app.profiles.includes('browser')) {
      throw new CommandError(`application '${application}' has no browser-exposed flags, so there is nothing a browser may read; mark a flag "exposure": "browser" in flags/${application}.json first`);
    }

    // --token-file first (an option wins over the environment, and a file can be rotated),
    // then APPCONFIG_AGENT_TOKEN, the name `dynconf agent` and the services read.
    const tokenFile = stringOption(args, 'token-file');
    const envToken = io.env.APPCONFIG_AGENT_TOKEN?.trim();
    const tokenFrom = tokenFile ? path.resolve(io.cwd, tokenFile) : envToken ? 'APPCONFIG_AGENT_TOKEN' : undefined;
    const token = tokenFile ? tokenReader(tokenFrom!) : envToken || undefined;
    const gateway = new BffGateway({
      agentUrl,
      application,
      environment,
      ...(token ? { token } : {}),
      pollIntervalMs: pollSeconds * 1000,
      allowedOrigins: origins,
      allowedHosts: hosts,
      demoPage: true,
      log: (line) => io.stderr.write(`${line}\n`),
    });
    try {
      await gateway.start();
    } catch (e) {
      if (e instanceof BffStartError) throw new CommandError(e.message);
      throw e;
    }
    const server = http.createServer((req, res) => {
      if (req.url === '/' || req.url?.startsWith('/?')) req.url = `${gateway.basePath}/demo`;
      if (!gateway.handleRequest(req, res)) res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }).end('not found\n');
    });
    // Requests node cannot parse get node's bare 400 otherwise; these carry nosniff too.
    server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
      const [status, text] = err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout'] : [400, 'Bad Request'];
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nContent-Length: ${text.length + 1}\r\n\r\n${text}\n`);
    });
    gateway.attach(server);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
    } catch (e) {
      await gateway.close();
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new CommandError(`port ${port} on ${host} is in use; pass another --port`);
      throw e;
    }
    const a = server.address() as AddressInfo;
    const url = `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
    io.stdout.write(`dynconf bff: ${application} (${environment}) browser flags on ${url}${gateway.basePath} (WebSocket ${gateway.basePath}/ws, demo ${url}/)${tokenFrom ? ` (agent token from ${tokenFrom})` : ''}\n`);
    await untilAborted(io.signal);
    await gateway.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    io.stdout.write('dynconf bff: stopped\n');
    return EXIT_OK;
  },
};

function tokenReader(file: string): () => string | undefined {
  // Fail at startup, not on the first poll, when the file is missing.
  if (!fs.existsSync(file)) throw new CommandError(`--token-file ${file} does not exist`);
  return () => fs.readFileSync(file, 'utf8').trim() || undefined;
}
