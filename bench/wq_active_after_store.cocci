// wakeaudit's peer in bench/kernel.mjs: the waitqueue_active()-after-store candidates, as a
// Coccinelle semantic patch of our own. It only matches (no proof): a store to something, then,
// on some path without smp_mb()/smp_store_mb() in between, a waitqueue_active() check.
@candidate@
expression X, V, Q;
position p;
@@
(
X = V;
|
WRITE_ONCE(X, V);
)
... when != smp_mb()
    when != smp_store_mb(...)
waitqueue_active@p(Q)

@script:python@
p << candidate.p;
@@
print("%s:%s: waitqueue_active after a store" % (p[0].file, p[0].line))
