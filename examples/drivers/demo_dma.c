// SPDX-License-Identifier: GPL-2.0
/*
 * wakeaudit example: a DMA engine driver whose completion path checks waitqueue_active()
 * right after setting the done flag. Without a full barrier between the store and the
 * check, a waiter can test the old flag and sleep while the IRQ handler sees an empty queue.
 * Run:  wakeaudit check --explain examples
 */
#include <linux/interrupt.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

struct demo_dma_chan {
	spinlock_t lock;
	wait_queue_head_t idle_wq;
	int idle;
	unsigned int pending;
};

static irqreturn_t demo_dma_irq(int irq, void *data)
{
	struct demo_dma_chan *chan = data;
	unsigned long flags;

	spin_lock_irqsave(&chan->lock, flags);
	chan->pending = 0;
	spin_unlock_irqrestore(&chan->lock, flags);

	WRITE_ONCE(chan->idle, 1);
	/* Racy "optimisation": wakeaudit proves the lost wakeup and offers smp_mb(). */
	if (waitqueue_active(&chan->idle_wq))
		wake_up(&chan->idle_wq);
	return IRQ_HANDLED;
}

static int __must_check demo_dma_wait_idle(struct demo_dma_chan *chan)
{
	return wait_event_interruptible(chan->idle_wq, READ_ONCE(chan->idle));
}

static int demo_dma_probe(struct demo_dma_chan *chan, int irq)
{
	init_waitqueue_head(&chan->idle_wq);
	return request_irq(irq, demo_dma_irq, 0, "demo-dma", chan);
}
