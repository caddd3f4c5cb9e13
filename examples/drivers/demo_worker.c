// SPDX-License-Identifier: GPL-2.0
/*
 * wakeaudit example: a kthread that tests for work before saying it is going to sleep.
 * A wake_up_process() between the test and set_current_state() finds the thread still
 * TASK_RUNNING and does nothing; the thread then sleeps with work pending.
 */
#include <linux/kthread.h>
#include <linux/sched.h>

struct demo_worker {
	struct task_struct *task;
	bool work_ready;
};

static int demo_worker_fn(void *data)
{
	struct demo_worker *w = data;

	while (!kthread_should_stop()) {
		while (!READ_ONCE(w->work_ready)) {
			set_current_state(TASK_INTERRUPTIBLE);
			schedule();
		}
		__set_current_state(TASK_RUNNING);
		WRITE_ONCE(w->work_ready, false);
	}
	return 0;
}

static void demo_worker_queue(struct demo_worker *w)
{
	WRITE_ONCE(w->work_ready, true);
	wake_up_process(w->task);
}
