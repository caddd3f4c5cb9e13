// The server's pure parts: Finding -> diagnostic/code action, settings parsing, globs, the cache.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Finding } from '../../server/src/analysis/findings';
import { LruCache, contentHash } from '../../server/src/lsp/cache';
import { findingKey, rangesOverlap, severityOf, toCodeActions, toDiagnostic, toHoverMarkdown, toRange } from '../../server/src/lsp/convert';
import { headline } from '../../server/src/analysis/headline';
import { GlobFilter, globToRegExp } from '../../server/src/lsp/globs';
import { DEFAULT_SETTINGS, isRuleEnabled, parseSettings } from '../../server/src/lsp/settings';

const names = { uriOf: (file: string) => `file://${file}` };
const docs = { showUnknown: false, ruleDocUrl: (code: string) => `https://rules.example/${code}.md` };

function finding(overrides: Partial<Finding> = {}): Finding {
  return {
    file: '/w/a.c',
    line: 10,
    column: 5,
    endLine: 10,
    endColumn: 30,
    code: 'waitqueue-active-no-barrier',
    severity: 'warning',
    message: 'waitqueue_active() without a full barrier',
    verdict: 'violated',
    trace: [
      { index: 0, thread: 'waiter', text: 'prepare_to_wait', location: { file: '/w/a.c', line: 4, column: 2, endLine: 4, endColumn: 10 } },
      { index: 1, thread: 'model', text: 'a signal arrives' },
      { index: 2, thread: 'waker', text: 'reads queue empty', location: { file: '/w/b.c', line: 7, column: 1, endLine: 7, endColumn: 5 } },
    ],
    fixes: [
      {
        title: 'add smp_mb()',
        verified: true,
        preferred: true,
        edits: [{ file: '/w/a.c', range: { line: 10, column: 1, endLine: 10, endColumn: 1 }, newText: 'smp_mb();\n' }],
      },
      {
        title: 'unverified',
        verified: false,
        preferred: false,
        edits: [{ file: '/w/a.c', range: { line: 1, column: 1, endLine: 1, endColumn: 1 }, newText: 'x' }],
      },
      {
        title: 'task pointer',
        verified: true,
        preferred: false,
        edits: [
          { file: '/w/a.c', range: { line: 2, column: 1, endLine: 2, endColumn: 4 }, newText: 'a' },
          { file: '/w/b.c', range: { line: 3, column: 1, endLine: 3, endColumn: 4 }, newText: 'b' },
        ],
      },
    ],
    ...overrides,
  };
}

test('1-based end-exclusive spans become 0-based LSP ranges; inverted spans collapse', () => {
  assert.deepEqual(toRange({ line: 10, column: 5, endLine: 11, endColumn: 2 }), { start: { line: 9, character: 4 }, end: { line: 10, character: 1 } });
  assert.deepEqual(toRange({ line: 3, column: 9, endLine: 3, endColumn: 2 }), { start: { line: 2, character: 8 }, end: { line: 2, character: 8 } });
  assert.deepEqual(toRange({ line: 0, column: 0, endLine: 0, endColumn: 0 }), { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } });
});

test('severity by verdict: violated warns, unknown informs only when shown, safe and unproved never show', () => {
  assert.equal(severityOf(finding(), false), 2);
  assert.equal(severityOf(finding({ verdict: 'unknown' }), false), undefined);
  assert.equal(severityOf(finding({ verdict: 'unknown' }), true), 3);
  assert.equal(severityOf(finding({ verdict: 'safe' }), true), undefined);
  assert.equal(severityOf(finding({ verdict: 'unproved' }), true), undefined);
  assert.equal(toDiagnostic(finding({ verdict: 'safe' }), names, docs), undefined);
});

test("an unknown diagnostic says why once: the analysis's reason, else a generic note", () => {
  const why = toDiagnostic(finding({ verdict: 'unknown', message: 'm (not proved: the condition calls f(), which the model does not know)' }), names, {
    ...docs,
    showUnknown: true,
  });
  assert.equal(why?.message, 'm (not proved: the condition calls f(), which the model does not know)');
  const bounds = toDiagnostic(finding({ verdict: 'unknown', message: 'm (undecided: more than 10 candidate executions (maxCandidates))' }), names, {
    ...docs,
    showUnknown: true,
  });
  assert.equal(bounds?.message, 'm (undecided: more than 10 candidate executions (maxCandidates))');
  const bare = toDiagnostic(finding({ verdict: 'unknown', message: 'm' }), names, { ...docs, showUnknown: true });
  assert.equal(bare?.message, 'm (not proved: the explorer could not decide within its bounds)');
});

test('a diagnostic carries code, rule link, and one related entry per located trace step', () => {
  const diagnostic = toDiagnostic(finding(), names, docs);
  assert.ok(diagnostic);
  assert.equal(diagnostic.code, 'waitqueue-active-no-barrier');
  assert.equal(diagnostic.codeDescription?.href, 'https://rules.example/waitqueue-active-no-barrier.md');
  assert.equal(diagnostic.source, 'wakeaudit');
  assert.deepEqual(
    diagnostic.relatedInformation?.map((r) => [r.location.uri, r.location.range.start.line, r.message]),
    [
      ['file:///w/a.c', 3, 'step 1: waiter: prepare_to_wait'],
      ['file:///w/b.c', 6, 'step 3: waker: reads queue empty'],
    ],
  );
  assert.deepEqual(diagnostic.data, { findingKey: findingKey(finding()) });
});

test('the list shows the one-line form; the whole message is the first related entry and the hover', () => {
  const message =
    'waitqueue_active() can miss a sleeper: no full barrier orders the store to r->ready (line 24) before this check, so a waiter can test the old condition and sleep while the waker sees an empty queue. Proved: lost wakeup: waiter sleeps forever in wait_event(q, r.ready)';
  const diagnostic = toDiagnostic(finding({ message }), names, docs);
  assert.equal(
    diagnostic?.message,
    'waitqueue_active() can miss a sleeper: no full barrier orders the store to r->ready (line 24) before this check. Proved: lost wakeup',
  );
  assert.deepEqual(diagnostic?.relatedInformation?.[0], { location: { uri: names.uriOf(finding().file), range: toRange(finding()) }, message });
  assert.match(diagnostic?.relatedInformation?.[1].message ?? '', /^step 1: /);
  const hover = toHoverMarkdown(finding({ message }));
  assert.ok(hover.startsWith('**waitqueue-active-no-barrier** (violated): waitqueue\\_active() can miss a sleeper'), hover);
  assert.match(hover, /Proved: lost wakeup: waiter sleeps forever/);
  assert.match(hover, /^1\. `waiter` prepare\\_to\\_wait \(line 4\)$/m);
  assert.match(hover, /^Verified fixes: add smp\\_mb\(\); task pointer$/m);
  // Already one line: no repeat in related information.
  assert.equal(toDiagnostic(finding({ message: 'short' }), names, docs)?.relatedInformation?.[0].message, 'step 1: waiter: prepare_to_wait');
});

test("headlines of the rules' message shapes: the clause before the explanation, the proof's kind, the reason a finding is undecided", () => {
  assert.equal(
    headline(
      'swake_up_all() called from a hard-IRQ handler: it drops and retakes the queue lock with raw_spin_lock_irq(), which re-enables interrupts, and it may wake an unbounded number of tasks that wait on it for a long time. Proved: waker calls swake_up_all(q) in hard-IRQ context',
    ),
    'swake_up_all() called from a hard-IRQ handler. Proved: waker calls swake_up_all',
  );
  assert.equal(
    headline(
      "only one task ever sleeps on &n.wq (the sleeper's own stack: n is a local struct tok_node of tok_wait()): a task pointer woken with wake_up_process(), or an rcuwait, is simpler and cheaper than an swait queue",
    ),
    "only one task ever sleeps on &n.wq (the sleeper's own stack: n is a local struct tok_node of tok_wait())",
  );
  assert.equal(
    headline(
      'x has no barrier: the check of c (line 19) can be satisfied before the state store is visible, so a wake-up between them is lost; use set_current_state() (not proved: no function in the workspace sets c and then wakes the task)',
    ),
    'x has no barrier: the check of c (line 19) can be satisfied before the state store is visible, so a wake-up between them is lost; use set_current_state() (not proved: no function in the workspace sets c and then wakes the task)',
  );
  // Past 160 characters the first clause boundary outside parentheses ends it.
  assert.equal(
    headline(`${'w'.repeat(100)} is checked before set_current_state() (line 5; twice) and not again; ${'z'.repeat(80)}. Proved: lost wakeup: more`),
    `${'w'.repeat(100)} is checked before set_current_state() (line 5; twice) and not again. Proved: lost wakeup`,
  );
});

test('code actions: only verified fixes, preferred marked, multi-file fix is one WorkspaceEdit', () => {
  const diagnostic = toDiagnostic(finding(), names, docs);
  assert.ok(diagnostic);
  const actions = toCodeActions(finding(), diagnostic, names);
  assert.deepEqual(
    actions.map((a) => [a.title, a.kind, a.isPreferred]),
    [
      ['add smp_mb()', 'quickfix', true],
      ['task pointer', 'quickfix', false],
    ],
  );
  assert.deepEqual(Object.keys(actions[1].edit?.changes ?? {}).sort(), ['file:///w/a.c', 'file:///w/b.c']);
});

test('range overlap includes touching ends (a cursor at the end of a squiggle)', () => {
  const r = { start: { line: 1, character: 2 }, end: { line: 1, character: 8 } };
  assert.ok(rangesOverlap(r, { start: { line: 1, character: 8 }, end: { line: 1, character: 8 } }));
  assert.ok(!rangesOverlap(r, { start: { line: 1, character: 9 }, end: { line: 2, character: 0 } }));
  assert.ok(!rangesOverlap(r, { start: { line: 0, character: 0 }, end: { line: 1, character: 1 } }));
});

test('settings: defaults for missing or wrongly typed values, both nested and dotted keys', () => {
  assert.deepEqual(parseSettings(undefined), DEFAULT_SETTINGS);
  assert.deepEqual(parseSettings('garbage'), DEFAULT_SETTINGS);
  const parsed = parseSettings({
    rules: { a: false, b: 'no' },
    exploration: { maxStates: -1, maxWork: 'lots', timeoutMs: 50 },
    showUnknown: true,
    include: [1],
    exclude: ['x/**'],
  });
  assert.deepEqual(parsed.rules, { a: false });
  assert.deepEqual(parsed.exploration, { maxStates: DEFAULT_SETTINGS.exploration.maxStates, maxWork: DEFAULT_SETTINGS.exploration.maxWork, timeoutMs: 50 });
  assert.equal(parsed.showUnknown, true);
  assert.deepEqual(parsed.include, DEFAULT_SETTINGS.include);
  assert.deepEqual(parsed.exclude, ['x/**']);
  assert.equal(parseSettings({ 'exploration.maxStates': 500 }).exploration.maxStates, 500);
  assert.equal(parseSettings({ 'exploration.maxWork': 900 }).exploration.maxWork, 900);
  assert.ok(!isRuleEnabled(parsed, 'a'));
  assert.ok(isRuleEnabled(parsed, 'b'));
});

test('globs: ** spans directories, * stays in one, braces and classes work', () => {
  assert.ok(globToRegExp('**/*.c').test('a.c'));
  assert.ok(globToRegExp('**/*.c').test('kernel/sched/core.c'));
  assert.ok(!globToRegExp('**/*.c').test('kernel/sched/core.h'));
  assert.ok(!globToRegExp('*.c').test('kernel/core.c'));
  assert.ok(globToRegExp('**/*.{c,h}').test('x/y.h'));
  assert.ok(globToRegExp('virt/kvm/[a-c]*.c').test('virt/kvm/async_pf.c'));
  assert.ok(!globToRegExp('virt/kvm/[a-c]*.c').test('virt/kvm/kvm_main.c'));
  const filter = new GlobFilter(['**/*.c', '**/*.h'], ['**/node_modules/**', 'build/**']);
  assert.ok(filter.matches('fs/eventfd.c'));
  assert.ok(!filter.matches('node_modules/x/y.c'));
  assert.ok(!filter.matches('build/gen.c'));
  assert.ok(filter.excludes('node_modules/'));
  assert.ok(filter.excludes('a/node_modules/'));
});

test('content hash separates parts; LRU forgets the least recently used', () => {
  assert.notEqual(contentHash('ab', 'c'), contentHash('a', 'bc'));
  assert.equal(contentHash('x'), contentHash('x'));
  const cache = new LruCache<number>(2);
  cache.set('a', 1);
  cache.set('b', 2);
  assert.equal(cache.get('a'), 1);
  cache.set('c', 3);
  assert.equal(cache.get('b'), undefined);
  assert.equal(cache.get('a'), 1);
  assert.equal(cache.get('c'), 3);
  assert.equal(cache.hits, 3);
  assert.equal(cache.misses, 1);
});
