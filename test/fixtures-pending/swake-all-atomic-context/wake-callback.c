// A custom wait-queue wake function (init_waitqueue_func_entry) runs with the waitqueue lock
// held and IRQs off (eventfd/irqfd shape): swake_up_all() there is not allowed. Positive.
#include <linux/wait.h>
#include <linux/swait.h>
#include <linux/poll.h>

struct evbridge {
	wait_queue_entry_t wait;
	wait_queue_head_t *src;
	struct swait_queue_head dst;
	bool fired;
};

static int evbridge_wakeup(wait_queue_entry_t *wait, unsigned int mode, int sync, void *key)
{
	struct evbridge *b = container_of(wait, struct evbridge, wait);
	__poll_t flags = key_to_poll(key);

	if (flags & EPOLLIN) {
		WRITE_ONCE(b->fired, true);
		swake_up_all(&b->dst);	/* expect: swake-all-atomic-context */
	}
	return 0;
}

static void evbridge_attach(struct evbridge *b, wait_queue_head_t *src)
{
	init_swait_queue_head(&b->dst);
	init_waitqueue_func_entry(&b->wait, evbridge_wakeup);
	b->src = src;
	add_wait_queue(src, &b->wait);
}

static void evbridge_wait(struct evbridge *b)
{
	swait_event_exclusive(b->dst, READ_ONCE(b->fired));
}
