// The program IR of the explorer, its JSON validation and its `.wake` text form.
export * from './ir';
export { validateProgram, rmwBase, rmwArity, MAX_NESTING, nestingMessage } from './validate';
export { rmwEffect } from './rmw';
export { parseProgram, printProgram } from './text';
