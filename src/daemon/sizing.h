/*
 * sizing.h - table sizes that fit the box: flows, inspection slots and DNS
 * cache derived from the RAM the router has, for the options the owner
 * left unset (0 in struct policy_main).
 */
#ifndef NETIFY_SIZING_H
#define NETIFY_SIZING_H

#include <stdint.h>

struct policy_main;

/** sizing_memtotal - MemTotal of /proc/meminfo in bytes; 0 if unknown */
uint64_t sizing_memtotal(void);

/**
 * sizing_apply - fill in the table sizes @m leaves at 0 (per queue)
 * @workers: queues sharing the box (>= 1)
 * @memtotal: bytes of RAM; 0 = unknown, sized as a large box
 * Options the owner set are kept as they are.
 */
void sizing_apply(struct policy_main *m, unsigned int workers, uint64_t memtotal);

#endif
