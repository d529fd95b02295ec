/**
 * The Host allow-list of dynconf's servers (the BFF and the local agent), against DNS
 * rebinding: a page on a name the attacker controls is made to resolve to 127.0.0.1 (or to
 * any address the browser can reach), and is then same-origin with the server, so the
 * browser lets it read every answer. The page cannot change the Host header its browser
 * sends, which is the attacker's name; so a server that answers only to the names it is
 * known by is out of reach.
 *
 * Always allowed:
 * - `localhost`, the name a developer types;
 * - IP literals (v4, or v6 in brackets): a rebinding attack needs a DNS name, so an address
 *   in Host is never one. This must stay: pods reach the AppConfig Agent on their node as
 *   `status.hostIP:2772` (an IP literal, hostPort 2772), and probes and tools go by IP too.
 *   Vite and webpack-dev-server make the same choice.
 * Any port is accepted: the port adds nothing, since the attacker's page already uses the
 * server's port. Everything else must be listed: `name` exactly, `.name` for its subdomains.
 */
import * as net from 'node:net';

/** A Host header: a name or an IP literal and an optional port; nothing else (no userinfo, no path). */
// eslint-disable-next-line security/detect-unsafe-regex -- recheck proves it linear
const HOST_HEADER = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/;
/** An allow-list entry: a DNS name, or `.name` for its subdomains. */
// eslint-disable-next-line security/detect-unsafe-regex -- recheck proves it safe
const HOST_NAME = /^\.?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
/** Refused Host values logged per server: a scanner must not fill the log. */
const MAX_LOGGED_REFUSALS = 100;

/** An allow-list entry: a DNS name, or `.name` for its subdomains (any case). */
export function isHostNameEntry(entry: string): boolean {
  return HOST_NAME.test(entry.toLowerCase());
}

export interface HostCheckOptions {
  /** Names besides localhost and IP literals; `.example.com` allows its subdomains. */
  readonly allowedHosts?: readonly string[] | undefined;
  /** The log prefix, e.g. `dynconf bff`. */
  readonly server: string;
  /** How the refused page's answer names the server, e.g. `this BFF`. */
  readonly subject: string;
  /** The option that adds a name, e.g. `allowedHosts (dynconf bff --allow-host <name>)`. */
  readonly option: string;
  /** @default - nothing is logged */
  readonly log?: ((line: string) => void) | undefined;
}

export class HostCheck {
  private readonly names: readonly string[];
  private readonly refused = new Set<string>();

  /** Throws when an allowedHosts entry is not a name (a scheme, port, path or wildcard). */
  constructor(private readonly options: HostCheckOptions) {
    this.names = (options.allowedHosts ?? []).map((h) => {
      const name = h.toLowerCase();
      if (!isHostNameEntry(name)) throw new Error(`allowedHosts: '${h}' is not a host name (a DNS name like app.example.com, or .example.com for its subdomains; no scheme, port or path)`);
      return name;
    });
  }

  /**
   * Whether the Host header names this server. Names compare case-insensitively and exactly:
   * `localhost.` is not `localhost`, and `0x7f.1` is not an IP literal. No Host (HTTP/1.0)
   * is refused: it names nothing.
   */
  allows(host: string | undefined): boolean {
    const m = host === undefined ? null : HOST_HEADER.exec(host);
    if (!m) return false;
    const name = m[1]!.toLowerCase();
    if (name.startsWith('[')) return net.isIPv6(name.slice(1, -1));
    if (net.isIPv4(name) || name === 'localhost') return true;
    return this.names.some((a) => (a.startsWith('.') ? name.endsWith(a) : name === a));
  }

  /** Log the refusal (once per Host value) and return the text of the 421 answer. */
  refuse(host: string | undefined): string {
    const shown = JSON.stringify(host ?? null);
    const key = String(host);
    if (this.refused.size < MAX_LOGGED_REFUSALS && !this.refused.has(key)) {
      this.refused.add(key);
      this.options.log?.(`${this.options.server}: refused a request for host ${shown} (421); if that name is ${this.options.subject}'s, allow it with ${this.options.option}`);
    }
    return `${this.options.subject} does not answer to host ${shown} (a DNS rebinding guard); if the name is its own, allow it with ${this.options.option}`;
  }
}
