// Uninterruptible sleepers take the item off the list after waking, and retry if another task
// got it first: each wakeup is consumed by somebody. Negative.
#include <linux/swait.h>
#include <linux/list.h>
#include <linux/spinlock.h>

struct work_item {
	struct list_head node;
};

struct work_pool {
	spinlock_t lock;
	struct list_head items;
	struct swait_queue_head wq;
};

static struct work_item *work_pool_take(struct work_pool *wp)
{
	struct work_item *it;

	for (;;) {
		swait_event_exclusive(wp->wq, !list_empty(&wp->items));
		spin_lock(&wp->lock);
		it = list_first_entry_or_null(&wp->items, struct work_item, node);
		if (it)
			list_del_init(&it->node);
		spin_unlock(&wp->lock);
		if (it)
			return it;
	}
}

static void work_pool_add(struct work_pool *wp, struct work_item *it)
{
	spin_lock(&wp->lock);
	list_add_tail(&it->node, &wp->items);
	spin_unlock(&wp->lock);
	swake_up_one(&wp->wq);
}
