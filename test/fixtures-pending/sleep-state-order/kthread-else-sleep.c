// A kthread loop: if the list is empty it sets its state and sleeps, without re-testing the
// list after the state change. A producer's list_add + wake_up_process() landing between the
// test and set_current_state() is lost. Positive on the test.
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/spinlock.h>

struct reaper {
	spinlock_t lock;
	struct list_head dead;
	struct task_struct *task;
};

static void reaper_free_one(struct reaper *r);

static int reaper_fn(void *data)
{
	struct reaper *r = data;

	while (!kthread_should_stop()) {
		if (list_empty_careful(&r->dead)) {	/* expect: sleep-state-order */
			set_current_state(TASK_INTERRUPTIBLE);
			schedule();
			continue;
		}
		reaper_free_one(r);
	}
	return 0;
}

static void reaper_add(struct reaper *r, struct list_head *node)
{
	spin_lock(&r->lock);
	list_add_tail(node, &r->dead);
	spin_unlock(&r->lock);
	wake_up_process(r->task);
}

static int reaper_start(struct reaper *r)
{
	r->task = kthread_run(reaper_fn, r, "reaper");
	return PTR_ERR_OR_ZERO(r->task);
}
