// SPDX-License-Identifier: GPL-2.0
/*
 * wakeaudit example: a buffer pool on a simple wait queue. Several tasks can sleep in
 * demo_pool_get(), each may leave on a signal, and the freeing side announces "a buffer is
 * back" with swake_up_one(): Linus's rule says wake everybody (swake_up_all) or make every
 * woken sleeper consume or pass the wakeup on.
 */
#include <linux/swait.h>
#include <linux/sched/signal.h>

struct demo_pool {
	struct swait_queue_head wait;
	bool shutting_down;
};

static int demo_pool_wait_shutdown(struct demo_pool *pool)
{
	return swait_event_interruptible_exclusive(pool->wait, READ_ONCE(pool->shutting_down));
}

static void demo_pool_shutdown(struct demo_pool *pool)
{
	WRITE_ONCE(pool->shutting_down, true);
	swake_up_one(&pool->wait);
}
