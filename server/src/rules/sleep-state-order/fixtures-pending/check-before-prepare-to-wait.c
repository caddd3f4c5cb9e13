// The test is made before prepare_to_wait() and not repeated before schedule(): a wake_up()
// between the test and prepare_to_wait() finds an empty queue and the task then sleeps with
// the condition true. prepare_to_wait() sets the state, so this is the same check-before-state
// bug as the open-coded kind. Positive on the test.
#include <linux/wait.h>
#include <linux/sched.h>

struct cq_ring {
	wait_queue_head_t cq_wait;
	unsigned int cq_tail;
};

static void cq_ring_wait(struct cq_ring *r, unsigned int seen)
{
	DEFINE_WAIT(wait);

	for (;;) {
		if (READ_ONCE(r->cq_tail) != seen)	/* expect: sleep-state-order */
			break;
		prepare_to_wait(&r->cq_wait, &wait, TASK_UNINTERRUPTIBLE);
		schedule();
	}
	finish_wait(&r->cq_wait, &wait);
}

static void cq_ring_post(struct cq_ring *r)
{
	WRITE_ONCE(r->cq_tail, r->cq_tail + 1);
	wake_up(&r->cq_wait);
}
