// What each read-modify-write of the IR does to a value, run alone: the one statement of the
// RMWs' arithmetic, used by the explorer for every RMW it runs (with the memory model deciding
// which old value it reads) and by callers that need a sequential effect (a starting state).
import type { RmwBase } from './ir';

/**
 * The value an RMW leaves at its location when it reads `old` (undefined: it writes nothing,
 * a failed cmpxchg or a test_and_*_bit() that changes nothing, which is also unordered) and the
 * value it returns. `args` are its evaluated arguments (an amount, a bit number, cmpxchg's
 * expected and new values); a missing amount is 1.
 */
export function rmwEffect(base: RmwBase, old: number, args: number[]): { next: number | undefined; result: number } {
  const amount = args[0] ?? 1;
  switch (base) {
    case 'atomic_inc':
    case 'atomic_fetch_inc':
    case 'atomic_inc_return':
    case 'atomic_inc_and_test':
      return { next: old + 1, result: base === 'atomic_fetch_inc' ? old : base === 'atomic_inc_and_test' ? Number(old + 1 === 0) : old + 1 };
    case 'atomic_dec':
    case 'atomic_fetch_dec':
    case 'atomic_dec_return':
    case 'atomic_dec_and_test':
      return { next: old - 1, result: base === 'atomic_fetch_dec' ? old : base === 'atomic_dec_and_test' ? Number(old - 1 === 0) : old - 1 };
    case 'atomic_add':
    case 'atomic_add_return':
    case 'atomic_fetch_add':
      return { next: old + amount, result: base === 'atomic_fetch_add' ? old : old + amount };
    case 'atomic_sub':
    case 'atomic_sub_return':
    case 'atomic_fetch_sub':
      return { next: old - amount, result: base === 'atomic_fetch_sub' ? old : old - amount };
    case 'xchg':
      return { next: amount, result: old };
    case 'cmpxchg':
      return { next: old === args[0] ? args[1] : undefined, result: old };
    case 'test_and_set_bit':
    case 'test_and_clear_bit':
    case 'set_bit':
    case 'clear_bit': {
      const mask = 1 << amount;
      const next = base.endsWith('set_bit') ? old | mask : old & ~mask;
      // A test_and_*_bit() that changes nothing writes nothing (Documentation/atomic_bitops.txt).
      return { next: next === old && base.startsWith('test_and_') ? undefined : next, result: old & mask ? 1 : 0 };
    }
  }
}
