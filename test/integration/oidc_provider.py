"""oidc_provider.py - an OpenID provider for the portal's tests, run in
the test's own process on loopback over TLS (a CA of its own, made with
openssl, which portal.oidc.ca_file names): discovery, authorize, token
(PKCE and the client secret checked, codes used once) and JWKS, with ID
tokens signed by Authlib's JOSE.  Provider.mode makes the next ID tokens
wrong in one way each (portal_oidc.py's list).  Debian's /usr/bin/python3
with python3-authlib."""

import base64
import hashlib
import hmac
import http.client
import http.server
import json
import os
import secrets
import ssl
import subprocess
import threading
import time
import urllib.parse

from authlib.jose import JsonWebKey, jwt
from harness import free_port

CLIENT_ID = "docket-portal"
CLIENT_SECRET = "s3cret~with+odd&chars"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Provider:
    """An OpenID provider: discovery, authorize (the person is whoever
    the test says is signed in there), token (PKCE and client secret
    checked, codes used once), JWKS.  mode changes the next ID tokens."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.ca_file, self.cert, key = self.make_certs()
        cert = self.cert
        self.port = free_port()
        self.issuer = "https://127.0.0.1:%d" % self.port
        self.keys = [self.new_key("k1")]
        self.signing = self.keys[0]
        self.user = None        # the email signed in at the provider
        self.verified = True
        self.mode = "good"
        self.codes = {}
        self.jwks_fetches = 0
        self.lock = threading.Lock()
        self.in_flight = self.most_in_flight = 0
        self.token_requests = []
        op = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def send(self, status, body, ctype="application/json",
                     headers=()):
                data = body if isinstance(body, bytes) else body.encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                u = urllib.parse.urlsplit(self.path)
                q = dict(urllib.parse.parse_qsl(u.query))
                if u.path == "/.well-known/openid-configuration":
                    self.send(200, json.dumps(op.discovery()))
                elif u.path == "/jwks":
                    op.jwks_fetches += 1
                    self.send(200, json.dumps(
                        {"keys": [k.as_dict(is_private=False)
                                  for k in op.keys]}))
                elif u.path == "/authorize":
                    status, loc = op.authorize(q)
                    self.send(status, loc or "refused", "text/plain",
                              [("Location", loc)] if status == 302 else [])
                else:
                    self.send(404, "{}")

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                form = dict(urllib.parse.parse_qsl(
                    self.rfile.read(n).decode()))
                status, body = op.token(form, self.headers)
                self.send(status, json.dumps(body))

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port),
                                                     Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket,
                                            server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()
        self.client_ctx = ssl.create_default_context(cafile=self.ca_file)

    def make_certs(self):
        d = os.path.join(self.tmp, "op-tls")
        os.makedirs(d, exist_ok=True)
        run = lambda *a: subprocess.run(a, check=True, capture_output=True)
        ca_key, ca = os.path.join(d, "ca.key"), os.path.join(d, "ca.pem")
        key, csr, cert = (os.path.join(d, n)
                          for n in ("op.key", "op.csr", "op.pem"))
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
            "-keyout", ca_key, "-out", ca, "-days", "2",
            "-subj", "/CN=Docket test CA")
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
            "-out", csr, "-subj", "/CN=127.0.0.1")
        ext = os.path.join(d, "ext.cnf")
        with open(ext, "w") as f:
            f.write("subjectAltName=IP:127.0.0.1\n")
        run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
            "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext)
        return ca, cert, key

    def spki_hash(self):
        """base64 SHA-256 of the TLS key, for Chromium's
        --ignore-certificate-errors-spki-list (trusting this one key)."""
        pub = subprocess.run(["openssl", "x509", "-pubkey", "-noout", "-in",
                              self.cert], check=True, capture_output=True)
        der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"],
                             input=pub.stdout, check=True,
                             capture_output=True)
        return base64.b64encode(hashlib.sha256(der.stdout).digest()).decode()

    def new_key(self, kid):
        return JsonWebKey.generate_key("RSA", 2048, {"kid": kid, "use": "sig",
                                                     "alg": "RS256"},
                                       is_private=True)

    def discovery(self):
        return {"issuer": self.issuer,
                "authorization_endpoint": self.issuer + "/authorize",
                "token_endpoint": self.issuer + "/token",
                "jwks_uri": self.issuer + "/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported":
                    ["client_secret_basic", "client_secret_post"]}

    def authorize(self, q):
        self.last_authorize = q
        if (q.get("client_id") != CLIENT_ID or
                q.get("response_type") != "code" or
                q.get("code_challenge_method") != "S256" or
                not q.get("code_challenge") or not q.get("redirect_uri")):
            return 400, None
        redirect = q["redirect_uri"]
        if self.user is None:
            return 302, redirect + "?" + urllib.parse.urlencode(
                {"error": "access_denied", "state": q.get("state", "")})
        code = secrets.token_urlsafe(24)
        self.codes[code] = {"challenge": q["code_challenge"],
                            "redirect_uri": redirect,
                            "nonce": q.get("nonce"), "email": self.user}
        return 302, redirect + "?" + urllib.parse.urlencode(
            {"code": code, "state": q.get("state", "")})

    def token(self, form, headers):
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.mode == "slow":
                time.sleep(1)
            return self._token(form, headers)
        finally:
            with self.lock:
                self.in_flight -= 1

    def _token(self, form, headers):
        self.token_requests.append(form)
        secret_ok = form.get("client_secret") == CLIENT_SECRET
        auth = headers.get("Authorization", "")
        if auth.startswith("Basic "):
            u, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
            secret_ok = (urllib.parse.unquote_plus(u) == CLIENT_ID and
                         urllib.parse.unquote_plus(pw) == CLIENT_SECRET)
        if not secret_ok or form.get("client_id") != CLIENT_ID:
            return 401, {"error": "invalid_client"}
        grant = self.codes.pop(form.get("code", ""), None)
        if (not grant or form.get("grant_type") != "authorization_code" or
                form.get("redirect_uri") != grant["redirect_uri"]):
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "")
        if b64url(hashlib.sha256(verifier.encode()).digest()) != \
                grant["challenge"]:
            return 400, {"error": "invalid_grant",
                         "error_description": "PKCE"}
        if self.mode == "token_error":
            return 400, {"error": "invalid_grant"}
        return 200, {"access_token": "at-" + secrets.token_hex(8),
                     "token_type": "Bearer", "expires_in": 3600,
                     "id_token": self.id_token(grant)}

    def id_token(self, grant):
        now = int(time.time())
        m = self.mode
        claims = {"iss": self.issuer, "sub": "sub-" + grant["email"],
                  "aud": CLIENT_ID, "exp": now + 300, "iat": now,
                  "nonce": grant["nonce"], "email": grant["email"],
                  "email_verified": self.verified}
        header = {"alg": "RS256", "kid": self.signing.as_dict()["kid"]}
        key = self.signing
        if m == "wrong_nonce":
            claims["nonce"] = "x" * 43
        elif m == "no_nonce":
            del claims["nonce"]
        elif m == "wrong_iss":
            claims["iss"] = "https://evil.example"
        elif m == "wrong_aud":
            claims["aud"] = "someone-else"
        elif m == "aud_list_no_azp":
            claims["aud"] = [CLIENT_ID, "someone-else"]
        elif m == "aud_list_azp":
            claims["aud"] = [CLIENT_ID, "someone-else"]
            claims["azp"] = CLIENT_ID
        elif m == "wrong_azp":
            claims["azp"] = "someone-else"
        elif m == "expired":
            claims["exp"] = now - 3600
            claims["iat"] = now - 4000
        elif m == "future_iat":
            claims["iat"] = now + 3600
        elif m == "no_exp":
            del claims["exp"]
        elif m == "email_verified_string":
            claims["email_verified"] = "true"
        elif m == "no_email_verified":
            del claims["email_verified"]
        elif m == "no_email":
            del claims["email"]
        elif m == "entra":
            # Microsoft Entra: no email_verified; the domain verified.
            del claims["email_verified"]
            claims["xms_edov"] = True
        elif m == "unlisted_key":
            key = self.new_key("k-unlisted")
            header["kid"] = "k-unlisted"
        elif m == "listed_kid_other_key":
            key = self.new_key("k1")
        elif m == "crit":
            header["crit"] = ["exp"]
        if m == "alg_none":
            return (b64url(json.dumps({"alg": "none"}).encode()) + "." +
                    b64url(json.dumps(claims).encode()) + ".")
        if m in ("hs256_secret", "hs256_public"):
            secret = (CLIENT_SECRET.encode() if m == "hs256_secret" else
                      self.signing.as_pem(is_private=False))
            signing_input = (b64url(json.dumps(
                {"alg": "HS256", "kid": header["kid"]}).encode()) + "." +
                b64url(json.dumps(claims).encode()))
            sig = hmac.new(secret, signing_input.encode(),
                           hashlib.sha256).digest()
            return signing_input + "." + b64url(sig)
        if m == "crit":
            # Authlib refuses to make one: signed by hand (RS256 is
            # PKCS#1 v1.5 with SHA-256), a valid signature.
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.asymmetric import padding
            signing_input = (b64url(json.dumps(header).encode()) + "." +
                             b64url(json.dumps(claims).encode()))
            sig = key.get_private_key().sign(signing_input.encode(),
                                             padding.PKCS1v15(),
                                             hashes.SHA256())
            return signing_input + "." + b64url(sig)
        token = jwt.encode(header, claims, key).decode()
        if m == "tampered":
            h, p, s = token.split(".")
            claims["email"] = "kari@nordlys.example.no"
            token = h + "." + b64url(json.dumps(claims).encode()) + "." + s
        return token

    def rotate(self):
        """A new key, the old one gone from the JWKS."""
        self.signing = self.new_key("k%d" % (len(self.keys) + 1))
        self.keys = [self.signing]

    def visit(self, url):
        """What the browser does at the provider: follows the authorize
        URL, returns the redirect back (the Location)."""
        u = urllib.parse.urlsplit(url)
        conn = http.client.HTTPSConnection(u.hostname, u.port,
                                           context=self.client_ctx,
                                           timeout=20)
        conn.request("GET", u.path + "?" + u.query)
        r = conn.getresponse()
        r.read()
        conn.close()
        return r.status, r.getheader("Location")

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


