// SPDX-License-Identifier: GPL-2.0
/*
 * wakeaudit example: an irqfd-style eventfd consumer whose wake function takes a mutex. Wake
 * functions run under the eventfd queue lock with interrupts off: wakeaudit proves the sleep in
 * atomic context and verifies the deferral to a work item.
 */
#include <linux/eventfd.h>
#include <linux/mutex.h>
#include <linux/wait.h>

struct demo_vm {
	struct mutex irq_lock;
	int injected;
};

struct demo_irqfd {
	struct demo_vm *vm;
	wait_queue_entry_t wait;
	poll_table pt;
};

static int demo_irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode, int sync, void *key)
{
	struct demo_irqfd *irqfd = container_of(wait, struct demo_irqfd, wait);
	__poll_t flags = key_to_poll(key);

	if (flags & EPOLLIN) {
		mutex_lock(&irqfd->vm->irq_lock);
		irqfd->vm->injected++;
		mutex_unlock(&irqfd->vm->irq_lock);
	}
	return 0;
}

static void demo_irqfd_ptable_queue_proc(struct file *file, wait_queue_head_t *wqh, poll_table *pt)
{
	struct demo_irqfd *irqfd = container_of(pt, struct demo_irqfd, pt);

	add_wait_queue_priority(wqh, &irqfd->wait);
}

static int demo_irqfd_assign(struct demo_irqfd *irqfd)
{
	init_waitqueue_func_entry(&irqfd->wait, demo_irqfd_wakeup);
	init_poll_funcptr(&irqfd->pt, demo_irqfd_ptable_queue_proc);
	return 0;
}
