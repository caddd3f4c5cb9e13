// SPDX-License-Identifier: GPL-2.0
/*
 * A freelist guarded by a simple wait queue. Sleepers can leave on a signal without taking an
 * entry, and the waker wakes only one: the woken sleeper may be the one that leaves.
 */
#include <linux/swait.h>
#include <linux/list.h>
#include <linux/spinlock.h>

struct entry {
	struct list_head node;
};

struct pool {
	struct swait_queue_head wait;
	spinlock_t lock;
	struct list_head free;
};

static struct entry *pool_get(struct pool *pool)
{
	struct entry *e;
	int ret;

	ret = swait_event_interruptible_exclusive(pool->wait, !list_empty(&pool->free));
	if (ret)
		return NULL;
	spin_lock(&pool->lock);
	e = list_first_entry_or_null(&pool->free, struct entry, node);
	if (e)
		list_del(&e->node);
	spin_unlock(&pool->lock);
	return e;
}

static void pool_put(struct pool *pool, struct entry *e)
{
	spin_lock(&pool->lock);
	list_add(&e->node, &pool->free);
	spin_unlock(&pool->lock);
	swake_up_one(&pool->wait); /* expect: swake-exclusive-multi-waiter */
}
