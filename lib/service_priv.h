/* lib/service_priv.h — limits shared by service.c (parsing) and
 * service_check.c (validation); private, not installed. */
#ifndef ED_SERVICE_PRIV_H
#define ED_SERVICE_PRIV_H

/* Limits on what one <service/> may carry (the stanza limit bounds the rest). */
#define FORM_MAX_FIELDS 64
#define FIELD_MAX_VALUES 64
#define HOST_MAX 253 /* RFC 1035 presentation form without the root dot */

#endif
