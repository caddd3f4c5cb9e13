// SPDX-License-Identifier: GPL-2.0
/*
 * wakeaudit example: a vCPU blocking on its own swait queue (only the vCPU thread ever
 * sleeps there, so a task pointer woken with wake_up_process(), or an rcuwait, would do),
 * and a posted-interrupt kick that wakes every sleeper from hard-IRQ context.
 */
#include <linux/kvm_host.h>
#include <linux/swait.h>

struct demo_vcpu_arch {
	int irq_pending;
};

struct kvm_vcpu {
	struct swait_queue_head wq;
	struct demo_vcpu_arch arch;
};

static void demo_vcpu_block(struct kvm_vcpu *vcpu)
{
	swait_event_interruptible_exclusive(vcpu->wq, READ_ONCE(vcpu->arch.irq_pending));
}

static irqreturn_t demo_posted_intr(int irq, void *data)
{
	struct kvm_vcpu *vcpu = data;

	WRITE_ONCE(vcpu->arch.irq_pending, 1);
	swake_up_all(&vcpu->wq);
	return IRQ_HANDLED;
}
