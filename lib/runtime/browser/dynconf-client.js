/**
 * dynconf browser client: an ES module with no framework and no build step. It starts from
 * the snapshot the server embedded in the page (renderSnapshotScript), then follows the
 * BFF's WebSocket, which sends the snapshot on connect and on every change. It never talks
 * to the agent, and it never sends anything: the server decides the caller's context.
 *
 *   import { connect } from '/config/client.js';
 *   const flags = connect({ onChange: (s) => render(s.flags) });
 *   if (flags.isEnabled('new-group-editor')) ...
 */

export const SNAPSHOT_ELEMENT_ID = 'dynconf-snapshot';

/** The snapshot embedded by the server, or undefined when there is none or it is damaged. */
export function readEmbeddedSnapshot(id = SNAPSHOT_ELEMENT_ID) {
  const el = document.getElementById(id);
  if (!el) return undefined;
  try {
    return asSnapshot(JSON.parse(el.textContent || ''));
  } catch {
    return undefined;
  }
}

/**
 * Delay before reconnect attempt `attempt` (0-based): exponential growth capped at maxMs,
 * with "equal jitter" (half fixed, half random) so that thousands of pages that lost the
 * same server do not come back in the same millisecond, yet none retries in a tight loop.
 */
export function backoffDelay(attempt, minMs, maxMs, random = Math.random) {
  const cap = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return cap / 2 + random() * (cap / 2);
}

/**
 * Connect to the BFF's WebSocket.
 * options.url        ws(s) URL; default: <base>/ws beside this module (<base>/client.js)
 * options.initial    starting snapshot; default: readEmbeddedSnapshot()
 * options.onChange   called with the snapshot whenever it changes
 * options.onStatus   called with 'open', 'reconnecting' or 'closed'
 * options.onSnapshot called with every snapshot the server sends, changed or not: the
 *                    proof that the connection is live and current (the OpenFeature
 *                    provider turns it into PROVIDER_READY after a reconnect)
 * options.minDelayMs / options.maxDelayMs  reconnect backoff bounds (500 / 30000)
 */
export function connect(options = {}) {
  const url = options.url || defaultUrl();
  const minDelay = options.minDelayMs ?? 500;
  const maxDelay = options.maxDelayMs ?? 30000;
  const changeListeners = new Set();
  const statusListeners = new Set();
  const snapshotListeners = new Set();
  if (options.onChange) changeListeners.add(options.onChange);
  if (options.onStatus) statusListeners.add(options.onStatus);
  if (options.onSnapshot) snapshotListeners.add(options.onSnapshot);

  let snapshot = options.initial || readEmbeddedSnapshot();
  let socket;
  let timer;
  let attempt = 0;
  let closed = false;

  function emit(listeners, value) {
    for (const fn of listeners) {
      try {
        fn(value);
      } catch (e) {
        console.error('dynconf: a listener threw', e);
      }
    }
  }

  function open() {
    timer = undefined;
    socket = new WebSocket(url);
    socket.onopen = () => emit(statusListeners, 'open');
    socket.onmessage = (event) => {
      let next;
      try {
        const msg = JSON.parse(event.data);
        if (msg.type !== 'snapshot') return;
        next = asSnapshot(msg);
      } catch {
        return;
      }
      if (!next) return;
      // A snapshot is proof the server works: the next failure starts the backoff afresh.
      attempt = 0;
      const changed = !snapshot || snapshot.version !== next.version || JSON.stringify(snapshot.flags) !== JSON.stringify(next.flags);
      snapshot = next;
      if (changed) emit(changeListeners, snapshot);
      emit(snapshotListeners, snapshot);
    };
    socket.onerror = () => {
      // A close event follows; reconnecting is handled there.
    };
    socket.onclose = () => {
      socket = undefined;
      if (closed) return;
      emit(statusListeners, 'reconnecting');
      timer = setTimeout(open, backoffDelay(attempt++, minDelay, maxDelay));
    };
  }

  open();

  return {
    get snapshot() {
      return snapshot;
    },
    flag(key) {
      return snapshot && Object.prototype.hasOwnProperty.call(snapshot.flags, key) ? snapshot.flags[key] : undefined;
    },
    isEnabled(key, fallback = false) {
      const f = this.flag(key);
      return f ? f.enabled === true : fallback;
    },
    onChange(fn) {
      changeListeners.add(fn);
      return () => changeListeners.delete(fn);
    },
    onStatus(fn) {
      statusListeners.add(fn);
      return () => statusListeners.delete(fn);
    },
    onSnapshot(fn) {
      snapshotListeners.add(fn);
      return () => snapshotListeners.delete(fn);
    },
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      if (socket) socket.close(1000, 'closed by the page');
      emit(statusListeners, 'closed');
    },
  };
}

function asSnapshot(value) {
  if (!value || typeof value !== 'object' || typeof value.version !== 'string' || !value.flags || typeof value.flags !== 'object') return undefined;
  return { version: value.version, flags: value.flags };
}

/** The BFF serves this module at <base>/client.js and the socket at <base>/ws. */
function defaultUrl() {
  const u = new window.URL('ws', import.meta.url);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.href;
}
