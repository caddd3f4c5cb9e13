// set_bit() then smp_mb__after_atomic() before the lockless check (the common flag-and-wake
// idiom in block and network drivers). Correctly ordered: negative.
#include <linux/wait.h>
#include <linux/bitops.h>

#define TXQ_STOPPED	0

struct txq {
	unsigned long state;
	wait_queue_head_t stop_wq;
};

static void txq_stop(struct txq *q)
{
	set_bit(TXQ_STOPPED, &q->state);
	smp_mb__after_atomic();	/* pairs with the barrier in prepare_to_wait() */
	if (waitqueue_active(&q->stop_wq))
		wake_up(&q->stop_wq);
}

static void txq_wait_stopped(struct txq *q)
{
	wait_event(q->stop_wq, test_bit(TXQ_STOPPED, &q->state));
}
