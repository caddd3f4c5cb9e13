// The sanitize pass: same length, same newlines, annotations blanked, iterators read as loops.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { sanitize } from '../../server/src/analysis/sanitize';
import { loadCParser, countErrors } from '../../server/src/analysis/parser';

test('annotations become spaces, nothing moves', () => {
  const src = 'static int __must_check foo(struct bar __rcu *p) __acquires(p->lock)\n{ return 0; }\n';
  const out = sanitize(src).text;
  assert.equal(out.length, src.length);
  assert.ok(!out.includes('__must_check') && !out.includes('__rcu') && !out.includes('__acquires'));
  assert.equal(out.indexOf('foo'), src.indexOf('foo'));
  assert.equal(out.indexOf('{'), src.indexOf('{'));
});

test('an iterator macro reads as a while loop over its block', async () => {
  const src = 'void f(struct list_head *h)\n{\n\tstruct item *it;\n\tlist_for_each_entry(it, h, node) {\n\t\twake_up(&it->wq);\n\t}\n}\n';
  const out = sanitize(src);
  assert.equal(out.iterators, 1);
  assert.match(out.text, /\twhile {14}\(it, h, node\) \{/);
  const parser = await loadCParser();
  const parsed = parser.parse(src);
  assert.equal(countErrors(parsed.tree.rootNode), 0);
  assert.ok(parsed.tree.rootNode.descendantsOfType('while_statement').length === 1);
});

test('comments, strings and macro definitions are left alone', () => {
  const src = '/* __rcu list_for_each_entry(a, b, c) { */\nconst char *s = "__user";\n#define list_for_each_entry(pos, head, member) for (;;)\n';
  assert.equal(sanitize(src).text, src);
});

test('container_of with a struct type argument parses', async () => {
  const src = 'void f(struct work_struct *w)\n{\n\tstruct dev *d = container_of(w, struct dev, work);\n\twake_up(&d->wq);\n}\n';
  const parser = await loadCParser();
  assert.equal(countErrors(parser.parse(src).tree.rootNode), 0);
});

test('property: any text keeps its length and every newline position', () => {
  const pieces = fc.constantFrom(
    '__rcu',
    '__acquires(x)',
    'list_for_each_entry(a, b, c)',
    '{',
    '}',
    '(',
    ')',
    '/*',
    '*/',
    '"',
    "'",
    '\n',
    ' ',
    ';',
    'static ',
    'DEVICE_ATTR(a, b);',
    'struct s',
    ',',
    'x',
  );
  fc.assert(
    fc.property(fc.array(pieces, { maxLength: 60 }), (parts) => {
      const src = parts.join('');
      const out = sanitize(src).text;
      assert.equal(out.length, src.length);
      for (let i = 0; i < src.length; i++) if (src[i] === '\n') assert.equal(out[i], '\n');
    }),
    { numRuns: 500 },
  );
});

test('incremental re-parse gives the tree a fresh parse gives', async () => {
  const parser = await loadCParser();
  const before = 'static void f(struct d *d)\n{\n\td->x = 1;\n\twake_up(&d->wq);\n}\n';
  const after = before.replace('d->x = 1;', 'WRITE_ONCE(d->x, 1);\n\tsmp_mb();');
  const first = parser.parse(before);
  const incremental = parser.parse(after, first);
  const fresh = parser.parse(after);
  assert.equal(incremental.tree.rootNode.toString(), fresh.tree.rootNode.toString());
});
