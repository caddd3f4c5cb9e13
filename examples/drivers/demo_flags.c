// SPDX-License-Identifier: GPL-2.0
/*
 * wakeaudit example: a bit-flag handshake. The reset path clears DEMO_RESETTING and calls
 * wake_up_bit(), which checks the bit's hashed wait queue with waitqueue_active() before
 * waking it. clear_bit() is not a barrier: the check can be satisfied before the clear is
 * visible, while a task in wait_on_bit() already queued itself and read the bit still set.
 * The firmware path shows the documented form (smp_mb__after_atomic()) and has no finding.
 */
#include <linux/bitops.h>
#include <linux/sched.h>
#include <linux/wait_bit.h>

enum demo_flag_bits {
	DEMO_RESETTING,		/* a reset is in progress */
	DEMO_FW_LOADING,	/* firmware not yet loaded */
};

struct demo_flags_dev {
	struct device *dev;
	unsigned long flags;
	int reset_count;
};

static void demo_reset_done(struct demo_flags_dev *d, int err)
{
	d->reset_count++;
	if (err)
		return;
	clear_bit(DEMO_RESETTING, &d->flags);
	wake_up_bit(&d->flags, DEMO_RESETTING);
}

static void demo_fw_loaded(struct demo_flags_dev *d)
{
	clear_bit(DEMO_FW_LOADING, &d->flags);
	smp_mb__after_atomic();
	wake_up_bit(&d->flags, DEMO_FW_LOADING);
}

static int demo_wait_ready(struct demo_flags_dev *d)
{
	int ret = wait_on_bit(&d->flags, DEMO_RESETTING, TASK_UNINTERRUPTIBLE);

	if (ret)
		return ret;
	return wait_on_bit(&d->flags, DEMO_FW_LOADING, TASK_KILLABLE);
}
