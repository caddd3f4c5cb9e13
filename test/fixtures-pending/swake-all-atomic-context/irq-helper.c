// The handler is registered with devm_request_irq() and calls a static helper that does the
// swake_up_all(): the helper runs in hard-IRQ context through its caller. Positive on the call
// inside the helper.
#include <linux/interrupt.h>
#include <linux/swait.h>
#include <linux/device.h>

struct gpio_evt {
	struct swait_queue_head wq;
	unsigned long edges;
};

static void gpio_evt_notify(struct gpio_evt *g)
{
	g->edges++;
	swake_up_all(&g->wq);	/* expect: swake-all-atomic-context */
}

static irqreturn_t gpio_evt_isr(int irq, void *data)
{
	gpio_evt_notify(data);
	return IRQ_HANDLED;
}

static int gpio_evt_setup(struct device *dev, struct gpio_evt *g, int irq)
{
	init_swait_queue_head(&g->wq);
	return devm_request_irq(dev, irq, gpio_evt_isr, IRQF_TRIGGER_RISING, "gpio-evt", g);
}
