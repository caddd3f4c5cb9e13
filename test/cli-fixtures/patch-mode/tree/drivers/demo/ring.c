// A ring a producer fills and a reader sleeps on: the producer publishes, then checks for sleepers.
#include <linux/wait.h>
#include <linux/compiler.h>

struct demo_ring {
	wait_queue_head_t wait;
	int ready;
	unsigned int head;
};

static int demo_ring_read(struct demo_ring *r)
{
	return wait_event_interruptible(r->wait, READ_ONCE(r->ready));
}

static void demo_ring_publish(struct demo_ring *r)
{
	WRITE_ONCE(r->ready, 1);
	/* Pairs with the barrier in set_current_state() of the reader's wait. */
	smp_mb();
	if (waitqueue_active(&r->wait))
		wake_up(&r->wait);
}
