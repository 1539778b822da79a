/* chatsec — chatsecd worker threads and how they wake the loop.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifndef CHATSECD_SERVER_THREAD_H
#define CHATSECD_SERVER_THREAD_H

#include <pthread.h>

#include <event2/event.h>

int	 thread_wake_pipe(int fds[2], event_callback_fn, struct event **);
int	 thread_start(pthread_t *, void *(*)(void *), void *);

#endif
