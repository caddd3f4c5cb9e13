// The helper-header pass decides which skipped headers to parse from the names each header has
// a `name(params) {` of (indexer.ts definedFunctionNames(), a backward scan from each brace).
// It must select exactly the headers the regular expression it replaced selects:
// /\bNAME\s*\([^;{}()]*\)\s*\{/ for any NAME.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { definedFunctionNames } from '../../server/src/analysis/indexer';

const NAMES = ['lnk_is_up', 'foo', 'if', 'x1', '_y'];
const pieces = fc.constantFrom(
  ...NAMES,
  '1',
  '(',
  ')',
  '{',
  '}',
  ';',
  ' ',
  '\t',
  '\n',
  '\r\n',
  ',',
  'int ',
  '*',
  '->',
  '#define ',
  '/*',
  '*/',
  '"',
  'static inline bool ',
  'struct s *p',
  '9',
);

test('definedFunctionNames() finds a name exactly when the definition regex matches it', () => {
  fc.assert(
    fc.property(fc.array(pieces, { maxLength: 40 }), (parts) => {
      const text = parts.join('');
      const found = new Set(definedFunctionNames(text));
      for (const name of NAMES) {
        const expected = new RegExp(`\\b${name}\\s*\\([^;{}()]*\\)\\s*\\{`).test(text);
        assert.equal(found.has(name), expected, `${name} in ${JSON.stringify(text)}`);
      }
    }),
    { numRuns: 3000 },
  );
});

test('definedFunctionNames() on kernel-like header text', () => {
  const header = [
    '#ifndef _LNK_H',
    '#define LNK_SHIFT(x) ((x) << 2)',
    'static inline bool lnk_is_up(const struct lnk *l)',
    '{',
    '\tif (READ_ONCE(l->state) == LNK_UP) {',
    '\t\treturn true;',
    '\t}',
    '\tif (ready) {',
    '\t\treturn false;',
    '\t}',
    '\treturn false;',
    '}',
    'void lnk_reset(struct lnk *l);',
    'static inline int lnk_wait(struct lnk *l, int (*cb)(int)) { return 0; }',
    '#endif',
  ].join('\n');
  // lnk_wait's parameters and the first if's condition contain parentheses: the regex did not
  // take them either; `if (ready) {` has a definition's shape.
  assert.deepEqual(definedFunctionNames(header).sort(), ['if', 'lnk_is_up']);
});
