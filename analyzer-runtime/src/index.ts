// Public surface of the runtime. It imports nothing from the rest of wakeaudit and does no I/O.
export * from './lkmm/execution';
export * from './lkmm/model';
export * from './litmus';
export * from './program';
export * from './explore';
export * from './stop';
