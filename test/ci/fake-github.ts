/**
 * A fake of the three GitHub REST calls the PR comment makes, on a real HTTP server on
 * 127.0.0.1: list a pull request's comments (paginated with a Link header, as GitHub does),
 * create one, edit one. It checks the token, refuses bodies over GitHub's limit with 422,
 * and can be told to answer a route with an error.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeComment {
  id: number;
  body: string;
  user: string;
}

export interface FakeGitHub {
  readonly url: string;
  readonly token: string;
  /** Comments by pull request number. */
  readonly comments: Map<number, FakeComment[]>;
  /** Every request, as `METHOD path?query`. */
  readonly requests: string[];
  /** Answer requests whose `METHOD path` starts with the key with this status and body. */
  readonly failures: Map<string, { status: number; body: unknown; headers?: Record<string, string> }>;
  /** Page size GitHub would use for per_page=100; smaller here to exercise pagination. */
  pageSize: number;
  close(): Promise<void>;
}

export async function startFakeGitHub(options: { repository?: string; token?: string } = {}): Promise<FakeGitHub> {
  const repository = options.repository ?? 'example-org/config';
  const token = options.token ?? 'test-token';
  const comments = new Map<number, FakeComment[]>();
  const requests: string[] = [];
  const failures = new Map<string, { status: number; body: unknown; headers?: Record<string, string> }>();
  let nextId = 1000;
  const state = { pageSize: 100 };

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://127.0.0.1');
      requests.push(`${req.method} ${url.pathname}${url.search}`);
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      const failure = [...failures.entries()].find(([k]) => `${req.method} ${url.pathname}`.startsWith(k));
      if (failure) return send(failure[1].status, failure[1].body, failure[1].headers);
      if (req.headers.authorization !== `Bearer ${token}`) return send(401, { message: 'Bad credentials' });
      const prefix = `/repos/${repository}`;
      if (!url.pathname.startsWith(`${prefix}/`)) return send(404, { message: 'Not Found' });
      const rest = url.pathname.slice(prefix.length);
      const list = rest.match(/^\/issues\/(\d+)\/comments$/);
      const one = rest.match(/^\/issues\/comments\/(\d+)$/);
      const parseBody = (): string | undefined => {
        const body = (JSON.parse(raw || '{}') as { body?: unknown }).body;
        return typeof body === 'string' ? body : undefined;
      };
      const tooLong = (body: string) => body.length > 65_536;
      if (list && req.method === 'GET') {
        const all = comments.get(Number(list[1])) ?? [];
        const page = Number(url.searchParams.get('page') ?? '1');
        const size = Math.min(Number(url.searchParams.get('per_page') ?? '30'), state.pageSize);
        const pages = Math.max(1, Math.ceil(all.length / size));
        const link: string[] = [];
        const pageUrl = (p: number) => `<http://127.0.0.1:${(server.address() as AddressInfo).port}${url.pathname}?per_page=${size}&page=${p}>`;
        if (page < pages) link.push(`${pageUrl(page + 1)}; rel="next"`, `${pageUrl(pages)}; rel="last"`);
        if (page > 1) link.push(`${pageUrl(1)}; rel="first"`, `${pageUrl(page - 1)}; rel="prev"`);
        const slice = all.slice((page - 1) * size, page * size).map((c) => ({ id: c.id, body: c.body, user: { login: c.user }, html_url: `https://github.example/${repository}/pull/${list[1]}#issuecomment-${c.id}` }));
        return send(200, slice, link.length ? { Link: link.join(', ') } : {});
      }
      if (list && req.method === 'POST') {
        const body = parseBody();
        if (body === undefined) return send(422, { message: 'Validation Failed', errors: [{ resource: 'IssueComment', code: 'missing_field', field: 'body' }] });
        if (tooLong(body)) return send(422, { message: 'Validation Failed', errors: [{ resource: 'IssueComment', code: 'custom', field: 'body', message: 'body is too long (maximum is 65536 characters)' }] });
        const c = { id: nextId++, body, user: 'github-actions[bot]' };
        comments.set(Number(list[1]), [...(comments.get(Number(list[1])) ?? []), c]);
        return send(201, { id: c.id, body, html_url: `https://github.example/${repository}/pull/${list[1]}#issuecomment-${c.id}` });
      }
      if (one && req.method === 'PATCH') {
        const id = Number(one[1]);
        const c = [...comments.values()].flat().find((x) => x.id === id);
        if (!c) return send(404, { message: 'Not Found' });
        const body = parseBody();
        if (body === undefined || tooLong(body)) return send(422, { message: 'Validation Failed' });
        c.body = body;
        return send(200, { id, body, html_url: `https://github.example/${repository}/issuecomment-${id}` });
      }
      return send(404, { message: 'Not Found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    comments,
    requests,
    failures,
    get pageSize() {
      return state.pageSize;
    },
    set pageSize(n: number) {
      state.pageSize = n;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
