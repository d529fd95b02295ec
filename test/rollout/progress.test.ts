import { logProgress, progressBar, terminalProgress, wantsTerminalProgress } from '../../lib/rollout/progress';
import type { ItemStatus } from '../../lib/rollout/status';
import type { WaitSnapshot } from '../../lib/rollout/wait';
import { FakeClock } from './fake-appconfig';

function sink(): { out: { write(s: string): boolean }; text: () => string } {
  let text = '';
  return {
    out: {
      write(s: string) {
        text += s;
        return true;
      },
    },
    text: () => text,
  };
}

function item(profile: string, state: string, percentage: number, events: ItemStatus['events'] = []): ItemStatus {
  const phase = state === 'COMPLETE' ? 'complete' : state === 'ROLLED_BACK' ? 'failed' : 'in-progress';
  return { application: 'app', profile, phase, deploymentNumber: 4, state, percentage, events, contentMatches: true, compiledFingerprint: 'c' };
}

const ESC = '\u001b';
const snap = (elapsedMs: number, ...items: ItemStatus[]): WaitSnapshot => ({ elapsedMs, timeoutMs: 180 * 60_000, items });

test('progressBar fills in proportion and clamps', () => {
  expect(progressBar(0, 10)).toBe('[----------]');
  expect(progressBar(40, 10)).toBe('[####------]');
  expect(progressBar(250, 10)).toBe('[##########]');
});

describe('logProgress (CI)', () => {
  test('a timestamped line per change of state and per new event, nothing when nothing changed', () => {
    const clock = new FakeClock();
    const { out, text } = sink();
    const view = logProgress(out, 'prod-01', clock);
    const started = { at: new Date(clock.now()), type: 'DEPLOYMENT_STARTED', triggeredBy: 'USER', description: 'Deployment started' };
    view.update(snap(0, item('flags', 'DEPLOYING', 20, [started])));
    clock.t += 15_000;
    view.update(snap(15_000, item('flags', 'DEPLOYING', 20, [started])));
    clock.t += 15_000;
    view.update(snap(30_000, item('flags', 'BAKING', 100, [started, { at: new Date(clock.now()), type: 'BAKE_TIME_STARTED', triggeredBy: 'APPCONFIG' }])));
    expect(text()).toBe(
      [
        '2026-01-15T10:00:00.000Z prod-01 app/flags #4 event DEPLOYMENT_STARTED by USER: Deployment started',
        '2026-01-15T10:00:00.000Z prod-01 app/flags DEPLOYING 20% #4',
        '2026-01-15T10:00:30.000Z prod-01 app/flags #4 event BAKE_TIME_STARTED by APPCONFIG',
        '2026-01-15T10:00:30.000Z prod-01 app/flags BAKING 100% #4',
        '',
      ].join('\n'),
    );
  });

  test('a heartbeat when nothing has been printed for five minutes', () => {
    const clock = new FakeClock();
    const { out, text } = sink();
    const view = logProgress(out, 'prod-01', clock);
    view.update(snap(0, item('flags', 'BAKING', 100)));
    clock.t += 5 * 60_000;
    view.update(snap(5 * 60_000, item('flags', 'BAKING', 100)));
    expect(text().trimEnd().split('\n').at(-1)).toBe('2026-01-15T10:05:00.000Z prod-01 waiting: 0/1 complete, 5 min of 180 min');
  });
});

describe('terminalProgress', () => {
  test('draws one bar per profile and redraws in place', () => {
    const { out, text } = sink();
    const view = terminalProgress(out, 'prod-01');
    view.update(snap(0, item('flags', 'DEPLOYING', 40), item('ops', 'COMPLETE', 100)));
    const first = text();
    expect(first).toBe(['prod-01: 1/2 complete, 0 min of 180 min', '  app/flags  [########------------] DEPLOYING 40% #4', '  app/ops    [####################] COMPLETE 100% #4', ''].join('\n'));
    view.update(snap(60_000, item('flags', 'BAKING', 100), item('ops', 'COMPLETE', 100)));
    // Up three lines, clear to the end, draw the new frame.
    expect(text().slice(first.length)).toBe(`${ESC}[3A${ESC}[0J${first.replace('0 min', '1 min').replace('[########------------] DEPLOYING 40%', '[####################] BAKING 100%')}`);
  });

  test('a notice goes above the frame, which is drawn again', () => {
    const { out, text } = sink();
    const view = terminalProgress(out, 'prod-01');
    view.update(snap(0, item('flags', 'DEPLOYING', 40)));
    const before = text().length;
    view.notice('poll failed; polling again');
    expect(text().slice(before)).toBe(`${ESC}[2A${ESC}[0Jpoll failed; polling again\n${text().slice(0, before)}`);
  });
});

test.each([
  [true, {}, true],
  [false, {}, false],
  [true, { CI: 'true' }, false],
  [true, { CI: 'false' }, true],
  [true, { TERM: 'dumb' }, false],
])('a bar when isTTY=%s and env %j: %s', (isTTY, env, expected) => {
  expect(wantsTerminalProgress({ isTTY }, env)).toBe(expected);
});
