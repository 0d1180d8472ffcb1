"""www.foobar.com as a visitor's resolver finds it: asked of the stack's own DNS server (FooBar.AppHost's `dns`
resource, NSD on 127.0.0.1:8053) with dnspython, the CNAME followed to the A records."""
import os
import sys

try:
    import dns.resolver
except ImportError:  # a python3 of its own (pyenv) does not see Debian's python3-dnspython: look there too
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        import dns.resolver
    except ImportError:
        raise SystemExit("dnspython is missing: scripts/setup.sh --bench (or --limits) installs Debian's python3-dnspython")

# The stack's DNS server (FooBar.AppHost/Program.cs), or another stack's (FOOBAR_DNS=host:port).
_host, _port = os.environ.get("FOOBAR_DNS", "127.0.0.1:8053").rsplit(":", 1)
SERVER = (_host, int(_port))
DNSException = dns.exception.DNSException


def resolve(name, server=SERVER[0], port=SERVER[1], timeout=2.0):
    """(chain, addresses) for `name`'s A records, asked of `server`:`port` only: chain is one (name, type, data, ttl)
    per step, each CNAME then the A records, and addresses the A records' addresses. Raises dns.exception.DNSException
    when the server does not answer or the name has no A record."""
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [server]
    resolver.port = port
    resolver.cache = None
    answer = resolver.resolve(name, "A", lifetime=timeout, search=False)
    chain = [(alias.name.to_text(omit_final_dot=True), "CNAME", alias[0].target.to_text(omit_final_dot=True), alias.ttl)
             for alias in answer.chaining_result.cnames]
    addresses = [record.address for record in answer.rrset]
    chain += [(answer.rrset.name.to_text(omit_final_dot=True), "A", address, answer.rrset.ttl) for address in addresses]
    return chain, addresses


def describe(chain, server=SERVER[0], port=SERVER[1]):
    """www.foobar.com → CNAME foobar.com → A 127.0.0.1 (TTL 300) via 127.0.0.1:8053"""
    steps = [chain[0][0]] + [f"{kind} {data}" + (f" (TTL {ttl})" if kind == "A" else "") for _, kind, data, ttl in chain]
    return " → ".join(steps) + f" via {server}:{port}"
