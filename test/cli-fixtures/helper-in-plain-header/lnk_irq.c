// The link-training interrupt publishes the new state and wakes sleepers only when someone
// waits: no full barrier between the store and the check.
#include <linux/interrupt.h>
#include "lnk_accessors.h"

static irqreturn_t lnk_irq(int irq, void *data)
{
	struct lnk_port *port = data;

	WRITE_ONCE(port->state, LNK_UP);
	port->retrains = 0;
	if (waitqueue_active(&port->state_wq))
		wake_up(&port->state_wq);
	return IRQ_HANDLED;
}

int lnk_setup(struct lnk_port *port, int irq)
{
	init_waitqueue_head(&port->state_wq);
	return request_irq(irq, lnk_irq, 0, "lnk", port);
}
