/* tests/fuzz/fuzz_jid.c — JID parser: no crash, and on success the
 * normalised form is a fixed point (normalize(full) == full), to_bare and
 * make/dup agree with it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extdisco/jid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ed_jid *j = NULL;
    ed_err e = ed_jid_parse((const char *)data, size, &j);
    if (e != ED_OK) {
        if (j) abort();
        return 0;
    }
    if (!j || !j->domain || !j->full || !j->bare) abort();

    /* idempotence */
    ed_err ne = ED_OK;
    char *n = ed_jid_normalize(j->full, &ne);
    if (!n || ne != ED_OK || strcmp(n, j->full) != 0) abort();
    free(n);

    /* the bare JID parses to itself */
    ed_jid *b = ed_jid_to_bare(j);
    if (!b) abort();
    ed_jid *b2 = NULL;
    if (ed_jid_parse(b->full, strlen(b->full), &b2) != ED_OK) abort();
    if (!ed_jid_eq_full(b, b2) || !ed_jid_eq_bare(b2, j) || b2->resource)
        abort();

    /* make from the prepared parts gives the same JID; so does dup */
    ed_jid *m = NULL;
    if (ed_jid_make(j->local, j->domain, j->resource, &m) != ED_OK) abort();
    if (!ed_jid_eq_full(m, j)) abort();
    ed_jid *d = ed_jid_dup(j);
    if (!d || !ed_jid_eq_full(d, j)) abort();

    ed_jid_free(d);
    ed_jid_free(m);
    ed_jid_free(b2);
    ed_jid_free(b);
    ed_jid_free(j);
    return 0;
}
