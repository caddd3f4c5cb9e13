// The TextMate grammar for .litmus files: valid JSON, the declared scope, regexes that compile,
// and the rules that matter matching the lines they are written for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { compileEveryRegex, js, loadGrammar } from '../textmate';

const grammarPath = path.resolve(__dirname, '../../../../syntaxes/litmus.tmLanguage.json');

const grammar = loadGrammar(grammarPath);

test('scope name and every regex compiles', () => {
  assert.equal(grammar.scopeName, 'source.litmus');
  compileEveryRegex(grammar);
});

test('rules match the constructs they name', () => {
  const repo = grammar.repository;
  assert.deepEqual(js(repo['header']!.match!).exec('C MP+wmb+rmb')?.slice(1), ['C', 'MP+wmb+rmb']);
  assert.deepEqual(js(repo['thread']!.begin!).exec('P12(int *x, spinlock_t *s)')?.[1], 'P12');
  assert.ok(js(repo['condition']!.begin!).test('~exists (0:r0=1)'));
  assert.ok(js(repo['condition']!.begin!).test('forall (x=1)'));
  assert.deepEqual(js(repo['register-ref']!.match!).exec('3:r1=0')?.slice(1), ['3', ':', 'r1']);
  const result = repo['doc-comment']!.patterns![0]!;
  assert.deepEqual(js(result.match!).exec(' * Result: Sometimes')?.slice(1), ['Result:', 'Sometimes']);
  const fence = repo['body']!.patterns!.find((p) => p.name === 'keyword.other.fence.litmus')!;
  assert.ok(js(fence.match!).test('smp_mb__after_unlock_lock();'));
  assert.ok(!js(fence.match!).test('smp_store_mb(*x, 1);'));
});
