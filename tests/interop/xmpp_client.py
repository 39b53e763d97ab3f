#!/usr/bin/python3
"""tests/interop/xmpp_client.py — a scripted XEP-0215 client (slixmpp) for
the interop tests.  Logs in, runs the operations given on the command line
in order and prints one JSON object per operation on stdout.

  xmpp_client.py --jid alice@example.org --password PW --port 5222 OP...

Operations (TARGET defaults to the account's own domain):
  services:VER[:TYPE][@TARGET]      <services xmlns='urn:xmpp:extdisco:VER' type=TYPE/>
  credentials:VER:TYPE:HOST:PORT[:TRANSPORT][@TARGET]
  set-services:VER[@TARGET]         IQ-set <services/> (must be refused)
  unknown-ns[@TARGET]               IQ-get with an unknown payload namespace
  big:BYTES[@TARGET]                <services/> padded to BYTES with an unknown child
  disco[@TARGET]                    disco#info: the features
  presence-to:JID                   directed presence (e.g. to the component)
  sleep:SECS
  wait-push:SECS                    wait for an XEP-0215 push; "timeout" when none
  pushes                            every push received so far

Each result: {"op": ..., "type": "result"|"error"|"timeout", "from": ...,
"condition": ..., "services": [{attribute: value, ...}], ...}.  A service's
"x" key lists the x:data field vars when a form is attached.  Exit status 0
when the client ran every operation (whatever the answers), 1 on login
failure or an exception.
"""
import argparse
import asyncio
import json
import logging
import sys
import xml.etree.ElementTree as ET

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

NS_ED = {1: "urn:xmpp:extdisco:1", 2: "urn:xmpp:extdisco:2"}
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
NS_XDATA = "jabber:x:data"


def out(obj):
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()


def services_of(xml):
    """The <service/> entries of a <services/> or <credentials/> element."""
    res = []
    for el in xml:
        if el.tag.endswith("}service"):
            d = dict(el.attrib)
            x = el.find("{%s}x" % NS_XDATA)
            if x is not None:
                d["x"] = [f.get("var") for f in x.findall("{%s}field" % NS_XDATA)]
            res.append(d)
    return res


def payload_of(iq_xml):
    for el in iq_xml:
        if not el.tag.endswith("}error"):
            return el
    return None


def error_of(iq_xml):
    err = iq_xml.find("{jabber:client}error")
    if err is None:
        return None, None
    for c in err:
        if c.tag.startswith("{%s}" % NS_STANZAS) and not c.tag.endswith("}text"):
            return c.tag.split("}")[1], err.get("type")
    return "undefined-condition", err.get("type")


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, ops, timeout, presence):
        super().__init__(jid, password)
        self.ops = ops
        self.timeout = timeout
        self.send_presence_on_start = presence
        self.abrupt = False
        self.pushes = []
        self.push_event = asyncio.Event()
        self.ok = False
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("failed_auth", self.on_failed)
        for v, ns in NS_ED.items():
            self.register_handler(Callback(
                "extdisco push %d" % v,
                MatchXPath("{jabber:client}iq/{%s}services" % ns),
                self.on_services_iq))

    def on_failed(self, _):
        out({"op": "login", "type": "error", "condition": "not-authorized"})
        self.disconnect()

    def on_services_iq(self, iq):
        if iq["type"] != "set":
            return
        pl = payload_of(iq.xml)
        self.pushes.append({"op": "push", "type": "set", "from": iq["from"].full,
                            "ns": pl.tag.split("}")[0][1:],
                            "filter": pl.get("type"),
                            "services": services_of(pl)})
        self.push_event.set()
        iq.reply().send()  # XEP-0215 §3.2 suggests a result; the server must not wait

    def target(self, spec):
        if "@" in spec and not spec.startswith("@"):
            op, to = spec.rsplit("@", 1) if spec.count("@") == 1 else spec.split("@", 1)
        elif spec.startswith("@"):
            op, to = "", spec[1:]
        else:
            op, to = spec, None
        return op, (to or self.boundjid.domain)

    async def query(self, name, to, itype, payload):
        iq = self.make_iq(ito=to, itype=itype)
        iq.append(payload)
        res = {"op": name, "to": to}
        try:
            r = await iq.send(timeout=self.timeout)
            res["type"] = "result"
            res["from"] = r["from"].full
            pl = payload_of(r.xml)
            if pl is not None:
                res["payload"] = pl.tag
                res["services"] = services_of(pl)
                feats = [f.get("var") for f in pl
                         if f.tag == "{http://jabber.org/protocol/disco#info}feature"]
                if feats:
                    res["features"] = sorted(feats)
                if pl.get("type") is not None:
                    res["filter"] = pl.get("type")
        except IqError as e:
            res["type"] = "error"
            res["from"] = e.iq["from"].full
            res["condition"], res["error_type"] = error_of(e.iq.xml)
        except IqTimeout:
            res["type"] = "timeout"
        return res

    async def run_op(self, spec):
        if spec.startswith("sleep:"):
            await asyncio.sleep(float(spec[6:]))
            return {"op": spec, "type": "done"}
        if spec.startswith("wait-push:"):
            if not self.pushes:
                try:
                    await asyncio.wait_for(self.push_event.wait(), float(spec[10:]))
                except asyncio.TimeoutError:
                    return {"op": "wait-push", "type": "timeout"}
            return self.pushes[-1]
        if spec == "pushes":
            return {"op": "pushes", "type": "done", "pushes": self.pushes}
        if spec.startswith("presence-to:"):
            self.send_presence(pto=spec[12:])
            return {"op": spec, "type": "done"}
        op, to = self.target(spec)
        parts = op.split(":")
        kind = parts[0]
        if kind == "services":
            el = ET.Element("{%s}services" % NS_ED[int(parts[1])])
            if len(parts) > 2 and parts[2]:
                el.set("type", parts[2])
            return await self.query(op, to, "get", el)
        if kind == "set-services":
            el = ET.Element("{%s}services" % NS_ED[int(parts[1])])
            return await self.query(op, to, "set", el)
        if kind == "credentials":
            el = ET.Element("{%s}credentials" % NS_ED[int(parts[1])])
            s = ET.SubElement(el, "{%s}service" % NS_ED[int(parts[1])])
            s.set("type", parts[2])
            s.set("host", parts[3])
            s.set("port", parts[4])
            if len(parts) > 5:
                s.set("transport", parts[5])
            return await self.query(op, to, "get", el)
        if kind == "unknown-ns":
            return await self.query(op, to, "get", ET.Element("{urn:example:unknown}query"))
        if kind == "big":
            el = ET.Element("{%s}services" % NS_ED[2])
            pad = ET.SubElement(el, "{urn:example:padding}pad")
            pad.text = "x" * int(parts[1])
            return await self.query(op, to, "get", el)
        if kind == "disco":
            r = await self.query(op, to, "get",
                                 ET.Element("{http://jabber.org/protocol/disco#info}query"))
            if r["type"] == "result":
                r.pop("services", None)

            return r
        return {"op": spec, "type": "error", "condition": "unknown-operation"}

    async def start(self, _):
        if self.send_presence_on_start:
            self.send_presence()
        try:
            await self.get_roster(timeout=self.timeout)
        except (IqError, IqTimeout):
            pass
        out({"op": "login", "type": "result", "jid": self.boundjid.full})
        try:
            for spec in self.ops:
                out(await self.run_op(spec))
            self.ok = True
        except Exception as e:  # report, do not hang
            out({"op": "exception", "type": "error", "condition": repr(e)})
        if self.send_presence_on_start and not self.abrupt:
            self.send_presence(ptype="unavailable")  # as polite clients do
        self.disconnect()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jid", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5222)
    ap.add_argument("--resource", default="interop")
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--no-presence", action="store_true")
    ap.add_argument("--abrupt", action="store_true",
                    help="close without an unavailable presence")
    ap.add_argument("--debug", action="store_true")
    ap.add_argument("ops", nargs="*")
    a = ap.parse_args()
    logging.basicConfig(level=logging.DEBUG if a.debug else logging.ERROR,
                        format="%(levelname)s %(message)s", stream=sys.stderr)
    c = Client(a.jid + "/" + a.resource, a.password, a.ops, a.timeout, not a.no_presence)
    c.abrupt = a.abrupt
    c.register_plugin("xep_0199")
    c["feature_mechanisms"].unencrypted_plain = True
    c.connect((a.host, a.port), force_starttls=False, disable_starttls=True)
    loop = asyncio.get_event_loop()
    disconnected = c.disconnected

    async def bounded():
        try:
            await asyncio.wait_for(disconnected, 30 + a.timeout * (len(a.ops) + 2)
                                   + sum(float(o.split(":")[1]) for o in a.ops
                                         if o.startswith(("sleep:", "wait-push:"))))
        except asyncio.TimeoutError:
            out({"op": "client", "type": "timeout"})
    loop.run_until_complete(bounded())
    sys.exit(0 if c.ok else 1)


if __name__ == "__main__":
    main()
