// The fix Linus describes: a sleeper that leaves on a signal passes the wakeup on to the next
// sleeper before returning; the successful path consumes the entry. Negative.
#include <linux/swait.h>
#include <linux/atomic.h>

struct seats {
	atomic_t free;
	struct swait_queue_head wq;
};

static int seats_take(struct seats *s)
{
	int ret;

	ret = swait_event_interruptible_exclusive(s->wq, atomic_read(&s->free) > 0);
	if (ret) {
		swake_up_one(&s->wq);	/* pass it on: we are not taking a seat */
		return ret;
	}
	atomic_dec(&s->free);
	return 0;
}

static void seats_release(struct seats *s)
{
	atomic_inc(&s->free);
	swake_up_one(&s->wq);
}
