// Hostile input through the language server: mangled kernel-like C (truncated, binary, CRLF,
// deep nesting, unterminated comments and strings, huge lines), .litmus and .wake documents,
// opened and changed (whole and by random ranges) in the bundled server over stdio. After each
// one the client asks the server to simulate the document, which analyses it: every document must
// be answered (a trace with a message, or an error with one), the server must never crash or
// log an exception past its guards, and the longest answer is reported.
// WAKEAUDIT_FUZZ_RUNS raises the count (default 40 here).
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExecuteCommandRequest,
  ResponseError,
} from 'vscode-languageserver-protocol/node';
import { TestClient, startServer } from './lspClient';

const TOKENS = [
  'struct dev { wait_queue_head_t wq; struct swait_queue_head sq; int done; };\n',
  'static void f(struct dev *d)\n',
  'static int g(struct dev *d)\n',
  '{',
  '}',
  '(',
  ')',
  ';',
  '\n',
  '\r\n',
  ' ',
  '\t',
  ',',
  'WRITE_ONCE(d->done, 1);',
  'd->done = 1;',
  'smp_mb();',
  'atomic_inc(&d->cnt);',
  'if (waitqueue_active(&d->wq)) wake_up(&d->wq);',
  'swake_up_one(&d->sq);',
  'swake_up_all(&d->sq);',
  'wait_event_interruptible(d->wq, READ_ONCE(d->done));',
  'swait_event_exclusive(d->sq, d->done);',
  'set_current_state(TASK_INTERRUPTIBLE);',
  'schedule();',
  'while (!d->done) {',
  'for (;;) {',
  'spin_lock_irqsave(&d->lock, flags);',
  'spin_unlock_irqrestore(&d->lock, flags);',
  'list_for_each_entry(p, &d->list, node) {',
  '__rcu',
  '#define X(a) ((a) +',
  '#ifdef CONFIG_X\n',
  '#endif\n',
  '/*',
  '*/',
  '//',
  '"',
  "'",
  '\\',
  '\\\n',
  '\u0000',
  '\uffff',
  '\ud800',
  'é',
  '𝕏',
  '\u202e',
];

const PROGRAM =
  'program p\nint done = 0\nwaitqueue wq\n\nthread waker (process) {\n  WRITE_ONCE(done, 1)\n  wake_up(wq)\n}\n\nthread waiter (process) {\n  wait_event(wq, READ_ONCE(done))\n}\n';
const LITMUS =
  'C SB\n{}\nP0(int *x, int *y)\n{\n\tint r0;\n\tWRITE_ONCE(*x, 1);\n\tr0 = READ_ONCE(*y);\n}\nP1(int *x, int *y)\n{\n\tint r0;\n\tWRITE_ONCE(*y, 1);\n\tr0 = READ_ONCE(*x);\n}\nexists (0:r0=0 /\\ 1:r0=0)\n';

type Kind = 'c' | 'litmus' | 'wakeaudit-program';

/** One mangling of a base text. */
const mangle = fc.oneof(
  fc.constant((t: string) => t),
  fc.nat().map((n) => (t: string) => t.slice(0, n % (t.length + 1))),
  fc.constant((t: string) => t.replace(/\n/g, '\r\n')),
  fc.constant((t: string) => t.replace(/\n/g, '\r')),
  fc.integer({ min: 100, max: 20_000 }).map((n) => (t: string) => `${t}\nvoid deep(void) ${'{'.repeat(n)} wake_up(&q); ${'}'.repeat(n >> 1)}`),
  fc.integer({ min: 100, max: 20_000 }).map((n) => (t: string) => `${t}\nint x = ${'('.repeat(n)}1${')'.repeat(n)};`),
  fc.constant((t: string) => `${t}\n/* unterminated comment ${t}`),
  fc.constant((t: string) => `${t}\nchar *s = "unterminated string ${t}`),
  fc.integer({ min: 10_000, max: 400_000 }).map((n) => (t: string) => `${t}\nint huge = ${'1 + '.repeat(n >> 2)}1; // ${'x'.repeat(n >> 2)}`),
  fc.uint8Array({ minLength: 1, maxLength: 4096 }).map((bytes) => (t: string) => `${t}${Buffer.from(bytes).toString('latin1')}`),
  fc.uint8Array({ minLength: 1, maxLength: 4096 }).map((bytes) => (t: string) => Buffer.from(bytes).toString('utf8') + t),
);

const document = fc.record({
  kind: fc.constantFrom<Kind>('c', 'c', 'c', 'c', 'litmus', 'wakeaudit-program'),
  tokens: fc.array(fc.constantFrom(...TOKENS), { maxLength: 150 }),
  mangles: fc.array(mangle, { minLength: 1, maxLength: 3 }),
  /** How the text reaches the server: opened, replaced whole, or spliced in by a random range. */
  delivery: fc.constantFrom('open', 'change', 'splice'),
  splice: fc.record({ line: fc.integer({ min: -2, max: 300 }), character: fc.integer({ min: -2, max: 300 }), length: fc.nat(500) }),
});

const runs = Number(process.env.WAKEAUDIT_FUZZ_RUNS ?? 40);

let client: TestClient;

before(async () => {
  // Small proof budgets: the test is about survival and bounded answers, not verdicts.
  client = await startServer({ settings: { exploration: { timeoutMs: 500, maxStates: 20_000 } } });
});

after(async () => {
  await client.stop();
});

test(`mangled documents through the language server: every one answered, no crash (${runs} runs)`, async () => {
  let tried = 0;
  let errors = 0;
  let longest = { ms: 0, bytes: 0, kind: '' };
  let version = 1;
  await fc.assert(
    fc.asyncProperty(document, async ({ kind, tokens, mangles, delivery, splice }) => {
      const base = kind === 'c' ? tokens.join('') : kind === 'litmus' ? LITMUS : PROGRAM;
      const text = mangles.reduce((t, f) => f(t), base);
      const extension = kind === 'c' ? 'c' : kind === 'litmus' ? 'litmus' : 'wake';
      const uri = `file:///tmp/wakeaudit-lsp-fuzz/doc${tried % 4}.${extension}`;
      const { connection } = client;
      if (delivery === 'open') {
        await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: kind, version: version++, text } });
      } else {
        await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: kind, version: version++, text: base } });
        const range = { start: { line: splice.line, character: splice.character }, end: { line: splice.line + (splice.length % 7), character: splice.length } };
        await connection.sendNotification(DidChangeTextDocumentNotification.type, {
          textDocument: { uri, version: version++ },
          contentChanges: delivery === 'change' ? [{ text }] : [{ range, text }],
        });
      }
      const started = performance.now();
      try {
        const trace = (await connection.sendRequest(ExecuteCommandRequest.type, { command: 'wakeaudit.simulate', arguments: [{ uri, language: kind }] })) as {
          verdict?: unknown;
          message?: unknown;
        };
        assert.ok(['violated', 'unknown', 'safe', 'unproved'].includes(String(trace.verdict)), JSON.stringify(trace).slice(0, 300));
        assert.equal(typeof trace.message, 'string');
      } catch (error) {
        // An error answer is fine if it says what went wrong; a dead server is not.
        assert.ok(error instanceof ResponseError, String(error));
        assert.match(error.message, /\S/);
        errors++;
      }
      const ms = performance.now() - started;
      if (ms > longest.ms) longest = { ms, bytes: Buffer.byteLength(text), kind };
      tried++;
      await connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
      assert.equal(client.process.exitCode, null, `the server exited; log:\n${client.logs.join('\n')}`);
    }),
    { numRuns: runs, seed: 20261125, endOnFailure: true },
  );
  // Still serving, and nothing escaped a handler.
  const stats = (await client.connection.sendRequest('wakeaudit/stats')) as { files: number };
  assert.equal(typeof stats.files, 'number');
  const crashes = client.logs.filter((line) => /uncaught|unhandled rejection/i.test(line));
  assert.deepEqual(crashes, []);
  console.log(
    `LSP fuzz: ${tried} documents, ${errors} answered with an error, 0 crashes, longest ${longest.ms.toFixed(0)} ms (${longest.kind}, ${longest.bytes} bytes)`,
  );
  assert.ok(longest.ms < 30_000, `a document took ${longest.ms.toFixed(0)} ms`);
});
