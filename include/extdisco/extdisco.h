/* extdisco/extdisco.h — the whole of libextdisco's protocol core. */
#ifndef EXTDISCO_EXTDISCO_H
#define EXTDISCO_EXTDISCO_H
#include "extdisco/ns.h"
#include "extdisco/error.h"
#include "extdisco/buf.h"
#include "extdisco/xml.h"
#include "extdisco/stanza.h"
#include "extdisco/jid.h"
#include "extdisco/datetime.h"
#include "extdisco/service.h"
#include "extdisco/turn_rest.h"
#include "extdisco/xep0215.h"
#include "extdisco/xep0279.h"
#define ED_VERSION "0.1.0"
#endif
