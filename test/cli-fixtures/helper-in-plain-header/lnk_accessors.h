/* Accessors used by the port code; no wait/wake primitive appears here. */
#ifndef LNK_ACCESSORS_H
#define LNK_ACCESSORS_H
#include "lnk_port.h"

static inline bool lnk_is_up(const struct lnk_port *port)
{
	return READ_ONCE(port->state) == LNK_UP;
}

#endif
