/* client/client_int.h — internal to the client library (client.c,
 * client_xep.c); not installed.  What the request functions of
 * client_xep.c need of the client's state beyond include/extdisco/client.h. */
#ifndef EXTDISCO_CLIENT_INT_H
#define EXTDISCO_CLIENT_INT_H

#include "extdisco/client.h"

/* Set the text ed_client_error() returns (printf-style; truncated to the
 * client's error buffer). */
void ed_client_seterr(ed_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Note the stanza error condition of the last request (copied; returned by
 * ed_client_error_condition() until the next request). */
void ed_client_setcond(ed_client *c, const char *cond);

#endif
