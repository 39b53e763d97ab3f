/* daemon/ctl_status.h — `extdiscoctl status` (ctl_status.c). */
#ifndef EXTDISCOD_CTL_STATUS_H
#define EXTDISCOD_CTL_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config/config.h"

/* Ask the daemon configured by cfg (loaded from cfgpath) for /status and
 * print it to out as tables (json_out: the JSON as received).  0 done, 1
 * error (reported on stderr). */
int edd_ctl_status(const edd_config *cfg, const char *cfgpath, bool json_out, FILE *out);

/* The tables for one /status answer (json, len bytes) to out: the service
 * table with LATENCY and ORDER when order_by_latency is true, a PROVIDER
 * table when providers is not empty.  0 done, 1 not a JSON object
 * (reported on stderr). */
int edd_ctl_status_print(const char *json, size_t len, FILE *out);

#endif
