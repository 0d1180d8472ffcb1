"""The site as a visitor reaches it: its addresses, a GET that reports instead of raising, and the post form's
antiforgery token and cookie."""
import html
import os
import re
import urllib.error
import urllib.parse
import urllib.request

from waiting import wait_until

# nginx's published HTTPS port (FooBar.AppHost/Program.cs; its HTTP port answers with a 301 there), or another stack's
# (a swarm's: scripts/swarm.sh up --port P). The certificate is checked against the machine's store (scripts/setup.sh).
SITE = os.environ.get("FOOBAR_SITE", "https://127.0.0.1:8443")
APP = "http://127.0.0.1:5193"       # FooBar.Web's endpoint in single-server mode (FooBar.Web/Properties/launchSettings.json)
HOST = "www.foobar.com"
# The site's certificate and key in one file (scripts/site-certificate.sh issues it; the AppHost's FooBar:TlsCertificate).
TLS_CERTIFICATE = os.environ.get("FOOBAR_TLS_CERTIFICATE", "/etc/foobar/tls/www.foobar.com.pem")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def get(url, timeout=2.0):
    """(status or None, body, headers); a redirect is returned, not followed."""
    request = urllib.request.Request(url, headers={"Host": HOST})
    try:
        with OPENER.open(request, timeout=timeout) as response:
            return response.status, response.read().decode(errors="replace"), response.headers
    except urllib.error.HTTPError as error:
        return error.code, "", error.headers
    except (urllib.error.URLError, OSError):
        return None, "", {}


def resolve_site(timeout=30.0):
    """HOST as a visitor's resolver finds it, asked of the stack's DNS (the CNAME followed), printed once; stops the run
    unless SITE's address is one of the A records', so that every request the run sends goes where the DNS says.
    Returns the printed line."""
    import stack_dns  # here: only the runs that start or find a stack need dnspython, not every user of this module

    server, port = stack_dns.SERVER
    found = {}

    def answered():
        try:
            found["chain"], found["addresses"] = stack_dns.resolve(HOST, server, port, timeout=1.0)
            return True
        except stack_dns.DNSException:
            return False

    # The DNS server starts beside nginx: it may answer a moment after the site does.
    if not wait_until(answered, timeout, interval=0.5):
        raise SystemExit(f"the stack's DNS at {server}:{port} gave no A record for {HOST} within {timeout:.0f} s")
    chain, addresses = found["chain"], found["addresses"]
    line = stack_dns.describe(chain, server, port)
    print(line, flush=True)
    site_address = urllib.parse.urlsplit(SITE).hostname
    if site_address not in addresses:
        raise SystemExit(f"{SITE} is not where the stack's DNS sends {HOST}: {', '.join(addresses)}")
    return line


def wait_for_200(url, timeout):
    return wait_until(lambda: get(url, timeout=1.0)[0] == 200, timeout, interval=0.1)


def parse_form(page, set_cookie):
    """(cookie, token) from the form page /posts/new and its Set-Cookie header, or None."""
    token = re.search(r'name="__RequestVerificationToken" type="hidden" value="([^"]+)"', page)
    cookie = (set_cookie or "").split(";", 1)[0]
    return (cookie, html.unescape(token.group(1))) if token and cookie else None


def form_token():
    """An antiforgery cookie and token from the real form, so that posts are accepted."""
    status, page, headers = get(f"{SITE}/posts/new")
    if status != 200:
        raise SystemExit(f"GET /posts/new answered {status}")
    form = parse_form(page, headers.get("Set-Cookie"))
    if not form:
        raise SystemExit("the form has no antiforgery token or cookie")
    return form


def tls_mounts(repo):
    """docker run's mounts for an nginx that serves HTTPS as the site does: its certificate at /etc/foobar/site.pem and
    its TLS settings (nginx/snippets/tls.conf) at /etc/nginx/snippets/tls.conf."""
    return ["-v", f"{TLS_CERTIFICATE}:/etc/foobar/site.pem:ro",
            "-v", f"{repo / 'nginx/snippets/tls.conf'}:/etc/nginx/snippets/tls.conf:ro"]
