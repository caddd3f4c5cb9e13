#ifndef LNK_PORT_H
#define LNK_PORT_H
#include <linux/wait.h>
#include "lnk_state.h"

struct lnk_port {
	int state;
	unsigned int retrains;
	wait_queue_head_t state_wq;
};

#endif
