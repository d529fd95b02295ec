/**
 * How `dynconf layout` places applications: existing ones never move, removed ones free
 * their room, new ones take the lowest part with room in every stack of it.
 */
import { assignParts, partsOverBudget, slicesTooLarge, type ApplicationModel, type Model, type StackCost } from '../../lib/model';
import { loadModel } from '../appconfig/sample';

const sample = loadModel();
// Parameters alone decide here: an environment stack has 2 fixed and 1 per application,
// so 4 allows two applications per part (shared stacks have 1 fixed and none per application).
const fill: StackCost = { resources: 10_000, bytes: 100_000_000, parameters: 4 };
const [groupsync, payment, search, sso] = ['groupsync-v3', 'payment-service-v2', 'search-service-net', 'sso-service'];

/** The sample with some applications removed and copies of others added under new names. */
function workspaceWith(remove: readonly string[], add: Readonly<Record<string, string>> = {}): Model {
  const copies: ApplicationModel[] = Object.entries(add).map(([name, from]) => ({ ...sample.applications.find((a) => a.name === from)!, name }));
  const copiedDocs = Object.entries(add).flatMap(([name, from]) => sample.documents.filter((d) => d.application === from).map((d) => ({ ...d, application: name })));
  return {
    ...sample,
    applications: [...sample.applications.filter((a) => !remove.includes(a.name)), ...copies],
    documents: [...sample.documents.filter((d) => !remove.includes(d.application)), ...copiedDocs],
  };
}

test('a fresh layout fills parts in name order up to the fill budget', () => {
  expect(assignParts(sample, {}, { fill })).toEqual({
    parts: { [groupsync!]: 1, [payment!]: 1, [search!]: 2, [sso!]: 2 },
    placed: [groupsync, payment, search, sso].map((application, i) => ({ application, part: i < 2 ? 1 : 2 })),
    dropped: [],
  });
});

test('a removal frees room that the next new application takes; nothing else moves', () => {
  const existing = { [groupsync!]: 1, [payment!]: 1, [search!]: 2, [sso!]: 2 };
  const result = assignParts(workspaceWith([payment!], { 'aaa-new': groupsync!, 'zzz-new': groupsync! }), existing, { fill });
  expect(result.dropped).toEqual([payment]);
  // aaa-new sorts first and takes the hole in part 1; zzz-new finds no room and opens part 3.
  expect(result.placed).toEqual([
    { application: 'aaa-new', part: 1 },
    { application: 'zzz-new', part: 3 },
  ]);
  expect(result.parts).toEqual({ 'aaa-new': 1, [groupsync!]: 1, [search!]: 2, [sso!]: 2, 'zzz-new': 3 });
});

test('existing entries are kept even when their part is over the budget', () => {
  const existing = { [groupsync!]: 1, [payment!]: 1, [search!]: 1, [sso!]: 1 };
  const result = assignParts(workspaceWith([], { 'aaa-new': sso! }), existing, { fill });
  expect(result.parts).toEqual({ ...existing, 'aaa-new': 2 });
  expect(result.placed).toEqual([{ application: 'aaa-new', part: 2 }]);
});

test('--move gives one application the lowest other part with room, and only that one', () => {
  const existing = { [groupsync!]: 1, [payment!]: 2, [search!]: 2, [sso!]: 3 };
  expect(assignParts(sample, existing, { fill, move: search }).parts).toEqual({ ...existing, [search!]: 1 });
  expect(assignParts(sample, existing, { fill, move: groupsync }).parts).toEqual({ ...existing, [groupsync!]: 3 });
  expect(() => assignParts(sample, existing, { move: 'nope' })).toThrow(/declares no such application/);
});

test('with the real budgets the sample fits one part, and nothing is over budget', () => {
  const { parts } = assignParts(sample, {});
  expect(new Set(Object.values(parts))).toEqual(new Set([1]));
  expect(partsOverBudget(sample, parts)).toEqual([]);
  expect(slicesTooLarge(sample)).toEqual([]);
});

test('a part over the hard budget names its largest application first', () => {
  const hard: StackCost = { resources: 10_000, bytes: 100_000_000, parameters: 4 };
  const over = partsOverBudget(sample, { [groupsync!]: 1, [payment!]: 1, [search!]: 1, [sso!]: 1 }, hard);
  // Every environment stack of part 1 (6 parameters, over 4); the shared stacks have 1.
  expect(over.map((o) => [o.part, o.slot.key]).sort()).toEqual(['beta', 'gamma', 'prod-01', 'prod-02', 'prod-03'].map((env) => [1, env]));
  const sizes = over[0]!.applications.map((a) => a.cost.bytes);
  expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
});
