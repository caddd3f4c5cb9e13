// SPDX-License-Identifier: GPL-2.0
/*
 * wakeaudit example: a vPMU-style overflow path that kicks the vCPU with state the runnable
 * predicate never reads (the vCPU halts again with the overflow pending).
 */
#include <linux/kvm_host.h>

struct kvm_vcpu_arch {
	int irq_pending;
	int pmu_overflow;
};

struct kvm_vcpu {
	struct kvm_vcpu_arch arch;
	int mode;
};

int kvm_arch_vcpu_runnable(struct kvm_vcpu *vcpu)
{
	return READ_ONCE(vcpu->arch.irq_pending) != 0;
}

static void demo_pmu_overflow(struct kvm_vcpu *vcpu)
{
	WRITE_ONCE(vcpu->arch.pmu_overflow, 1);
	kvm_vcpu_kick(vcpu);
}

static void demo_inject_irq(struct kvm_vcpu *vcpu)
{
	WRITE_ONCE(vcpu->arch.irq_pending, 1);
	kvm_vcpu_kick(vcpu);
}
