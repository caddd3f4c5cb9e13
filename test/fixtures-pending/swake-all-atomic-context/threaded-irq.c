// request_threaded_irq(): the hard handler only acknowledges and returns IRQ_WAKE_THREAD; the
// thread function runs in a kernel thread (process context, IRQs on), where swake_up_all() is
// allowed. Negative.
#include <linux/interrupt.h>
#include <linux/swait.h>

struct i2cx {
	void __iomem *base;
	struct swait_queue_head done_wq;
	int done;
};

static irqreturn_t i2cx_hard(int irq, void *data)
{
	struct i2cx *c = data;

	if (!readl(c->base))
		return IRQ_NONE;
	writel(0, c->base);
	return IRQ_WAKE_THREAD;
}

static irqreturn_t i2cx_thread(int irq, void *data)
{
	struct i2cx *c = data;

	WRITE_ONCE(c->done, 1);
	swake_up_all(&c->done_wq);
	return IRQ_HANDLED;
}

static int i2cx_setup(struct i2cx *c, int irq)
{
	return request_threaded_irq(irq, i2cx_hard, i2cx_thread, IRQF_ONESHOT, "i2cx", c);
}

static void i2cx_wait(struct i2cx *c)
{
	swait_event_exclusive(c->done_wq, READ_ONCE(c->done));
}
