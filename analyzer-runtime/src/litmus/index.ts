// The C litmus-test front end: parser, per-thread semantics and the herd7-style runner.
export * from './ast';
export { parseLitmus } from './parser';
export { runLitmus, runParsedLitmus } from './run';
export { LOOP_UNROLL } from './threads';
export type { LitmusResult, LitmusVerdict, LitmusOptions } from './run';
