// SPDX-License-Identifier: GPL-2.0
/*
 * A device that announces completion through a flag and a wait queue. The waker checks
 * waitqueue_active() right after the store with no full barrier in between: the check can
 * read "empty" before the store is visible to the sleeper, which then sleeps forever.
 */
#include <linux/wait.h>
#include <linux/sched.h>

struct ready_dev {
	wait_queue_head_t wq;
	int ready;
};

static int ready_dev_wait(struct ready_dev *dev)
{
	return wait_event_interruptible(dev->wq, READ_ONCE(dev->ready));
}

static void ready_dev_complete(struct ready_dev *dev)
{
	WRITE_ONCE(dev->ready, 1);
	if (waitqueue_active(&dev->wq)) /* expect: waitqueue-active-no-barrier */
		wake_up(&dev->wq);
}
