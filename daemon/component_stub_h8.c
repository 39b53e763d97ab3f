/* TEMPORARY (helper h8): stand-in for daemon/component.c so extdiscod links
 * before the component role exists.  Used only in build-h8; delete once
 * daemon/component.c lands. */
#include "component.h"
ed_component_set *ed_component_start(ed_server *s) { (void)s; return (ed_component_set *)1; }
void ed_component_reconfigure(ed_component_set *c, ed_server *s) { (void)c; (void)s; }
void ed_component_stop(ed_component_set *c) { (void)c; }
