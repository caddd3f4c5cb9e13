// The same thread function is started once per CPU, all on one shared pool queue: the queue
// has as many sleepers as CPUs even though it has one wait site in a kthread. Each woken worker
// takes one unit uninterruptibly, so swake_up_one() is fine. No hint, no bug. Negative.
#include <linux/kthread.h>
#include <linux/swait.h>
#include <linux/atomic.h>
#include <linux/cpumask.h>

struct crypt_pool {
	atomic_t queued;
	struct swait_queue_head wq;
};

static int crypt_worker(void *arg)
{
	struct crypt_pool *p = arg;

	while (!kthread_should_stop()) {
		swait_event_idle_exclusive(p->wq, atomic_read(&p->queued) > 0);
		if (atomic_dec_if_positive(&p->queued) < 0)
			continue;
	}
	return 0;
}

static void crypt_submit(struct crypt_pool *p)
{
	atomic_inc(&p->queued);
	swake_up_one(&p->wq);
}

static int crypt_pool_start(struct crypt_pool *p)
{
	unsigned int cpu;

	for_each_online_cpu(cpu) {
		struct task_struct *t = kthread_run(crypt_worker, p, "crypt/%u", cpu);

		if (IS_ERR(t))
			return PTR_ERR(t);
	}
	return 0;
}
