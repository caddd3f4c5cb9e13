// The TextMate grammar for .wake files: valid JSON, the scope package.json declares, regexes
// that compile, and the main rules matching what they are written for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileEveryRegex, js, loadGrammar } from '../textmate';

const root = path.resolve(__dirname, '../../../..');

const grammar = loadGrammar(path.join(root, 'syntaxes/wakeaudit.tmLanguage.json'));

test('package.json contributes the grammar with its scope, and every regex compiles', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const g = pkg.contributes.grammars.find((x: { language: string }) => x.language === 'wakeaudit-program');
  assert.equal(g.scopeName, grammar.scopeName);
  assert.equal(path.normalize(g.path), path.normalize('./syntaxes/wakeaudit.tmLanguage.json'));
  compileEveryRegex(grammar);
});

test('rules match the constructs they name', () => {
  const repo = grammar.repository;
  assert.deepEqual(js(repo['program']!.match!).exec('program waitqueue_active_no_barrier')?.slice(1), ['program', 'waitqueue_active_no_barrier']);
  assert.deepEqual(js(repo['object']!.match!).exec('swait sq')?.slice(1), ['swait', 'sq']);
  assert.deepEqual(js(repo['thread']!.begin!).exec('thread waker (hardirq) {')?.slice(1), ['thread', 'waker', 'hardirq']);
  assert.deepEqual(js(repo['source-tag']!.match!).exec('@ drivers/foo.c:42')?.slice(1, 3), ['@', 'drivers/foo.c:42']);
  const body = repo['body']!.patterns!;
  const named = (n: string) => js(body.find((p) => p.name === n)!.match!);
  assert.ok(named('support.function.wake.wakeaudit').test('swake_up_one(sq)'));
  assert.ok(named('support.function.sleep.wakeaudit').test('wait_event_interruptible_exclusive(wq, x)'));
  assert.ok(named('support.function.atomic.wakeaudit').test('atomic_fetch_add_release(1, x)'));
  assert.ok(!named('keyword.other.fence.wakeaudit').test('smp_store_mb(x, 1)'));
});
