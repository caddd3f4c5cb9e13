/* Link state accessors: plain helpers, nothing here sleeps or wakes. */
#ifndef LNK_STATE_H
#define LNK_STATE_H
#include <linux/compiler.h>

enum lnk_state {
	LNK_DOWN = 0,
	LNK_TRAINING = 1,
	LNK_UP = 2,
};

struct lnk_port;

static inline bool lnk_is_up(const struct lnk_port *port);

#endif
