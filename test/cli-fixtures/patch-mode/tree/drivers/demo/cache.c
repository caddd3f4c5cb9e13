// A cache whose flush waits for writeback; the writeback end checks for a waiter without a barrier.
#include <linux/wait.h>
#include <linux/spinlock.h>

struct demo_cache {
	wait_queue_head_t flush_wait;
	int writeback_done;
	unsigned long hits;
	unsigned long misses;
};

static void demo_cache_count(struct demo_cache *c, bool hit)
{
	if (hit)
		c->hits++;
	else
		c->misses++;
}

static int demo_cache_flush(struct demo_cache *c)
{
	return wait_event_interruptible(c->flush_wait, c->writeback_done);
}

static void demo_cache_writeback_end(struct demo_cache *c)
{
	c->writeback_done = 1;
	if (waitqueue_active(&c->flush_wait))
		wake_up(&c->flush_wait);
}
