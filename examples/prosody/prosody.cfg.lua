-- examples/prosody/prosody.cfg.lua — Prosody 0.12 serving example.org, with
-- extdiscod attached as the XEP-0114 component extdisco.example.org.
--
-- Clients ask THEIR OWN DOMAIN (example.org) for external services; Prosody
-- forwards urn:xmpp:extdisco:2 and :1 to extdiscod with XEP-0355 namespace
-- delegation (mod_delegation from prosody-modules) and tells extdiscod who is
-- online with XEP-0356 presence permission (mod_privilege), which XEP-0215
-- pushes need.  Debian: apt install prosody prosody-modules (the two modules
-- land in /usr/lib/prosody/modules/, on Prosody's default module path).
--
-- Matching extdiscod configuration: examples/extdiscod-component.yml.
-- The interop test (tests/interop/component_prosody.sh) runs this very file
-- with ports, paths and the test secret substituted on the lines marked
-- "@test".

admins = { }

modules_enabled = {
	"roster";      -- rosters (mod_privilege's roster permission uses them)
	"saslauth";    -- client authentication
	"tls";         -- STARTTLS for clients
	"disco";       -- service discovery: delegated features show up here
	"ping";
	"posix";
	"delegation";  -- XEP-0355: forward urn:xmpp:extdisco:* to extdiscod
	"privilege";   -- XEP-0356: forward users' presence to extdiscod
}
modules_disabled = { "s2s" } -- drop this line if example.org federates

-- Prosody's own mod_external_services must stay disabled: the namespace is
-- delegated to extdiscod.

interfaces = { "127.0.0.1" }                  -- @test
c2s_ports = { 5222 }                         -- @test
component_interfaces = { "127.0.0.1" }       -- @test
component_ports = { 5347 }                   -- @test
data_path = "/var/lib/prosody"               -- @test
pidfile = "/run/prosody/prosody.pid"         -- @test
log = { info = "/var/log/prosody/prosody.log"; error = "/var/log/prosody/prosody.err" } -- @test

authentication = "internal_hashed"

VirtualHost "example.org"
	-- certificate = "/etc/prosody/certs/example.org.crt"

	-- XEP-0355: IQs to example.org (and to users' bare JIDs) in these
	-- namespaces go to the component; its answers come back to the client
	-- from example.org.
	delegations = {
		["urn:xmpp:extdisco:2"] = { jid = "extdisco.example.org" };
		["urn:xmpp:extdisco:1"] = { jid = "extdisco.example.org" };
	}
	-- XEP-0356: extdiscod learns who is online (available/unavailable),
	-- so that a reload pushes changes to online requesters only.
	privileged_entities = {
		["extdisco.example.org"] = { presence = "managed_entity" };
	}

Component "extdisco.example.org"
	component_secret = "CHANGE-ME: the content of extdiscod's secret_file" -- @test
	-- Both modules must be loaded on the component too: they react to the
	-- component authenticating (delegation and permission advertisement).
	modules_enabled = { "delegation"; "privilege" }
	-- XEP-0215 pushes go to the client from the domain it asked
	-- (example.org).  Prosody only relays a component's stanza from another
	-- domain with this set; without it Prosody closes the link on the first
	-- push (invalid-from) and extdiscod falls back to pushing from
	-- extdisco.example.org.
	validate_from_addresses = false
