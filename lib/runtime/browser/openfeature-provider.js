/**
 * An OpenFeature web provider (`@openfeature/web-sdk`) over the dynconf BFF: an ES module
 * for a bundler, beside dynconf-client.js, whose socket and backoff it reuses.
 *
 *   import { OpenFeature } from '@openfeature/web-sdk';
 *   import { DynconfWebProvider } from 'dynconf/lib/runtime/browser/openfeature-provider.js';
 *   await OpenFeature.setProviderAndWait(new DynconfWebProvider());
 *   const client = OpenFeature.getClient();
 *   client.getBooleanValue('new-group-editor', false);
 *   client.getStringValue('theme.scheme', 'system');
 *
 * It starts from the snapshot the server embedded in the page, so `initialize` settles
 * without a network round-trip when there is one; then it follows <basePath>/ws and emits
 * PROVIDER_CONFIGURATION_CHANGED with the keys of the flags that changed.
 *
 * Keys and values follow the server provider (lib/runtime/openfeature.ts): a key is a flag
 * (boolean: its `enabled`; object: the whole flag) or `<flag>.<attribute>` (flag keys cannot
 * contain dots). Only the flags of the browser profile exist here: any other key is
 * FLAG_NOT_FOUND, never a guess.
 *
 * The web SDK's static-context paradigm meets dynconf's rule that a browser never chooses
 * its own variants: the BFF evaluates variants with the context its server computes from
 * the session (contextFor). The evaluation context set with OpenFeature.setContext is not
 * sent anywhere and changes no value; a new session context reaches the page when the
 * server renders it again or the socket reconnects.
 */
import { ErrorCode, OpenFeatureEventEmitter, ProviderEvents, StandardResolutionReasons } from '@openfeature/web-sdk';
import { connect, readEmbeddedSnapshot, SNAPSHOT_ELEMENT_ID } from './dynconf-client.js';

const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

const TYPES = {
  boolean: (v) => typeof v === 'boolean',
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number',
  object: (v) => typeof v === 'object' && v !== null,
};

export class DynconfWebProvider {
  /**
   * options.url              the BFF's WebSocket URL; default: <basePath>/ws on the page's origin
   * options.basePath         the BFF's base path (default '/config')
   * options.initial          the starting snapshot {version, flags}; default: the one embedded
   *                          in the page (the element with id options.snapshotElementId)
   * options.snapshotElementId  default 'dynconf-snapshot'
   * options.minDelayMs / options.maxDelayMs  reconnect backoff bounds (500 / 30000)
   */
  constructor(options = {}) {
    this.metadata = { name: 'dynconf' };
    this.runsOn = 'client';
    this.events = new OpenFeatureEventEmitter();
    this.options = options;
    this.url = options.url || defaultUrl(options.basePath ?? '/config');
    const id = options.snapshotElementId ?? SNAPSHOT_ELEMENT_ID;
    this.snapshot = options.initial || readEmbeddedSnapshot(id);
    // A damaged element is not the same as none: say so rather than quietly wait for the socket.
    this.damaged = !this.snapshot && !options.initial && typeof document !== 'undefined' && document.getElementById(id) !== null ? id : undefined;
    if (this.damaged) console.error(`dynconf: the element #${id} does not hold a snapshot ({"version": "...", "flags": {...}}); waiting for ${this.url} instead`);
    /** The socket was lost after it (or the page) gave a snapshot: values may be out of date. */
    this.stale = false;
    /** The socket failed before any snapshot arrived: nothing can be evaluated. */
    this.failed = false;
    this.connection = undefined;
    this.pending = undefined;
  }

  /**
   * Opens the socket. Resolves at once when a snapshot is at hand; otherwise with the first
   * snapshot the socket brings, and rejects (provider status ERROR) when the socket closes
   * before one: it keeps retrying, and PROVIDER_READY follows the first snapshot.
   */
  initialize() {
    if (this.connection) return Promise.resolve();
    this.connection = connect({
      url: this.url,
      initial: this.snapshot,
      minDelayMs: this.options.minDelayMs,
      maxDelayMs: this.options.maxDelayMs,
      onSnapshot: (s) => this.receive(s),
      onStatus: (s) => this.onSocketStatus(s),
    });
    if (this.snapshot) return Promise.resolve();
    return new Promise((resolve, reject) => (this.pending = { resolve, reject }));
  }

  onClose() {
    const connection = this.connection;
    this.connection = undefined;
    if (this.pending) this.pending.reject(new Error(`dynconf: the provider was closed before ${this.url} sent a snapshot`));
    this.pending = undefined;
    if (connection) connection.close();
    return Promise.resolve();
  }

  /**
   * Static context: no value depends on the context the page sets (see the module comment),
   * so there is nothing to reconcile and no promise is returned. The SDK marks the provider
   * READY after any context change; when the socket is down that would hide it, so the
   * provider's real state is said again right after.
   */
  onContextChange() {
    if (!this.stale && !this.failed) return;
    void Promise.resolve().then(() => {
      if (this.stale) this.events.emit(ProviderEvents.Stale, { message: this.staleMessage() });
      else if (this.failed) this.events.emit(ProviderEvents.Error, { message: this.failedMessage() });
    });
  }

  resolveBooleanEvaluation(flagKey, defaultValue) {
    return this.resolve(flagKey, defaultValue, 'boolean');
  }

  resolveStringEvaluation(flagKey, defaultValue) {
    return this.resolve(flagKey, defaultValue, 'string');
  }

  resolveNumberEvaluation(flagKey, defaultValue) {
    return this.resolve(flagKey, defaultValue, 'number');
  }

  resolveObjectEvaluation(flagKey, defaultValue) {
    return this.resolve(flagKey, defaultValue, 'object');
  }

  resolve(key, defaultValue, type) {
    const isType = TYPES[type];
    const snapshot = this.snapshot;
    if (!snapshot) return error(defaultValue, ErrorCode.PROVIDER_NOT_READY, `no snapshot yet: ${this.damaged ? `#${this.damaged} is damaged` : 'none was embedded in the page'} and ${this.url} has not sent one`);
    const dot = key.indexOf('.');
    const flagKey = dot < 0 ? key : key.slice(0, dot);
    const attribute = dot < 0 ? undefined : key.slice(dot + 1);
    const flag = hasOwn(snapshot.flags, flagKey) ? snapshot.flags[flagKey] : undefined;
    if (!flag || typeof flag !== 'object') return error(defaultValue, ErrorCode.FLAG_NOT_FOUND, `flag '${flagKey}' is not in the browser profile (only flags with "exposure": "browser" reach a browser)`);
    let value;
    if (attribute === undefined) value = isType(flag.enabled) ? flag.enabled : flag;
    else if (hasOwn(flag, attribute)) value = flag[attribute];
    else return error(defaultValue, ErrorCode.FLAG_NOT_FOUND, `flag '${flagKey}' has no attribute '${attribute}'`);
    if (!isType(value)) return error(defaultValue, ErrorCode.TYPE_MISMATCH, `'${key}' is ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}, not ${type === 'object' ? 'an' : 'a'} ${type}`);
    const variant = typeof flag._variant === 'string' ? flag._variant : undefined;
    const reason = this.stale ? StandardResolutionReasons.STALE : variant !== undefined ? StandardResolutionReasons.TARGETING_MATCH : StandardResolutionReasons.STATIC;
    return {
      // A copy: the page must not be able to edit the snapshot every later evaluation reads.
      value: type === 'object' ? JSON.parse(JSON.stringify(value)) : value,
      reason,
      ...(variant !== undefined ? { variant } : {}),
      flagMetadata: { version: snapshot.version },
    };
  }

  /** Every snapshot the server sends, changed or not. */
  receive(next) {
    const previous = this.snapshot;
    this.snapshot = next;
    if (this.pending) {
      // The SDK announces READY when initialize resolves.
      this.pending.resolve();
      this.pending = undefined;
      return;
    }
    if (this.stale || this.failed) {
      this.stale = false;
      this.failed = false;
      this.events.emit(ProviderEvents.Ready, { message: `${this.url} is back (version ${next.version || '-'})` });
    }
    const flagsChanged = changedFlags(previous ? previous.flags : {}, next.flags);
    if (flagsChanged.length > 0) this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged, message: `version ${next.version || '-'}` });
  }

  onSocketStatus(status) {
    if (status !== 'reconnecting') return;
    if (this.pending) {
      this.failed = true;
      this.pending.reject(new Error(this.failedMessage()));
      this.pending = undefined;
    } else if (this.snapshot && !this.stale) {
      this.stale = true;
      this.events.emit(ProviderEvents.Stale, { message: this.staleMessage() });
    } else if (!this.snapshot && !this.failed) {
      this.failed = true;
      this.events.emit(ProviderEvents.Error, { message: this.failedMessage() });
    }
  }

  staleMessage() {
    return `lost the connection to ${this.url}; serving version ${this.snapshot.version || '-'} until it is back`;
  }

  failedMessage() {
    return `${this.damaged ? `#${this.damaged} is damaged` : 'no snapshot was embedded in the page'} and ${this.url} closed before sending one; retrying`;
  }
}

/** Keys of the flags that were added, removed or changed, in a stable order. */
export function changedFlags(previous, next) {
  const keys = new Set([...Object.keys(previous), ...Object.keys(next)]);
  return [...keys].filter((k) => JSON.stringify(hasOwn(previous, k) ? previous[k] : undefined) !== JSON.stringify(hasOwn(next, k) ? next[k] : undefined)).sort();
}

function error(value, errorCode, errorMessage) {
  return { value, reason: StandardResolutionReasons.ERROR, errorCode, errorMessage };
}

function defaultUrl(basePath) {
  const u = new window.URL(`${basePath.replace(/\/+$/, '')}/ws`, window.location.href);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.href;
}
