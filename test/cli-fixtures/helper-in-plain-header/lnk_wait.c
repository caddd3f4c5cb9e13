// Waits for the link to come up, through the accessor in lnk_accessors.h.
#include "lnk_accessors.h"

int lnk_wait_up(struct lnk_port *port)
{
	return wait_event_interruptible(port->state_wq, lnk_is_up(port));
}
