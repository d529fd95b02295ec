/**
 * How `rollout wait` shows progress. On a terminal: one bar per profile, redrawn in place.
 * In a CI log (not a TTY, or CI set): plain timestamped lines, one per change of state or
 * percentage and one per new AppConfig event, plus a heartbeat so a quiet bake does not
 * look like a hang.
 */
import type { Clock } from './clock';
import { itemKey, type ItemStatus, type RolloutEvent } from './status';
import type { WaitSnapshot } from './wait';

export interface ProgressView {
  update(snapshot: WaitSnapshot): void;
  notice(message: string): void;
}

type Out = { write(chunk: string): unknown };

export function progressBar(percent: number, width = 20): string {
  const p = Math.max(0, Math.min(100, percent));
  const filled = Math.round((p / 100) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

function minutesOf(ms: number): string {
  return `${Math.floor(ms / 60000)} min`;
}

function stateOf(s: ItemStatus | undefined): string {
  if (!s) return 'waiting for AppConfig';
  if (s.phase === 'none') return 'never deployed';
  const content = s.contentMatches === false ? ', other content' : '';
  return `${s.state}${s.percentage !== undefined ? ` ${s.percentage}%` : ''} #${s.deploymentNumber}${content}`;
}

function summary(snapshot: WaitSnapshot): string {
  const done = snapshot.items.filter((s) => s.phase === 'complete' && s.contentMatches).length;
  return `${done}/${snapshot.items.length} complete, ${minutesOf(snapshot.elapsedMs)} of ${minutesOf(snapshot.timeoutMs)}`;
}

/** A frame of bars redrawn in place with ANSI cursor moves. */
export function terminalProgress(out: Out, environment: string): ProgressView {
  let drawn = 0;
  let last: WaitSnapshot | undefined;
  const erase = () => {
    if (drawn) out.write(`\x1b[${drawn}A\x1b[0J`);
    drawn = 0;
  };
  const draw = (snapshot: WaitSnapshot) => {
    const width = Math.max(...snapshot.items.map((s) => itemKey(s).length));
    const lines = [
      `${environment}: ${summary(snapshot)}`,
      ...snapshot.items.map((s) => {
        const pct = s.phase === 'complete' ? 100 : (s.percentage ?? 0);
        return `  ${itemKey(s).padEnd(width)}  ${progressBar(pct)} ${stateOf(s)}`;
      }),
    ];
    out.write(`${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  return {
    update(snapshot) {
      erase();
      draw(snapshot);
      last = snapshot;
    },
    notice(message) {
      erase();
      out.write(`${message}\n`);
      if (last) draw(last);
    },
  };
}

/** Plain lines for logs: only what changed, each with a UTC timestamp. */
export function logProgress(out: Out, environment: string, clock: Clock, heartbeatMs = 5 * 60_000): ProgressView {
  const lastState = new Map<string, string>();
  const seenEvents = new Set<string>();
  let lastLine = -Infinity;
  const line = (text: string) => {
    out.write(`${new Date(clock.now()).toISOString()} ${environment} ${text}\n`);
    lastLine = clock.now();
  };
  return {
    update(snapshot) {
      for (const s of snapshot.items) {
        for (const e of s.events) {
          const id = eventId(s, e);
          if (seenEvents.has(id)) continue;
          seenEvents.add(id);
          line(`${itemKey(s)} #${s.deploymentNumber} event ${e.type}${e.triggeredBy ? ` by ${e.triggeredBy}` : ''}${e.description ? `: ${e.description}` : ''}`);
        }
        const state = stateOf(s);
        if (lastState.get(itemKey(s)) !== state) {
          lastState.set(itemKey(s), state);
          line(`${itemKey(s)} ${state}`);
        }
      }
      if (clock.now() - lastLine >= heartbeatMs) line(`waiting: ${summary(snapshot)}`);
    },
    notice(message) {
      line(message);
    },
  };
}

function eventId(s: ItemStatus, e: RolloutEvent): string {
  return `${itemKey(s)}#${s.deploymentNumber}|${e.at?.toISOString() ?? ''}|${e.type ?? ''}|${e.description ?? ''}`;
}

/** A bar only on a real terminal outside CI; `TERM=dumb` gets lines too. */
export function wantsTerminalProgress(stdout: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI !== undefined && !['', '0', 'false'].includes(env.CI.toLowerCase());
  return stdout.isTTY === true && !ci && env.TERM !== 'dumb';
}
