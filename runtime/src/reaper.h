/* SPDX-License-Identifier: Apache-2.0 */
/* Destroying links off the event loop (reaper.c): uprobe detach is slow. */
#ifndef ASPEND_REAPER_H
#define ASPEND_REAPER_H

struct bpf_link;

/* Destroy link in the background */
void reaper_put(struct bpf_link *link);
/* Wait until every link handed over is destroyed */
void reaper_drain(void);

#endif
