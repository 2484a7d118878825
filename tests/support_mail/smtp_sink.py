"""A loopback SMTP server for the tests: every message received is written to
DIR as NNNN.eml (the raw message) after NNNN.rcpt (the envelope recipients,
one a line), NNNN.from (the envelope sender) and NNNN.helo (the name the
client gave in EHLO/HELO). Prints "ready" once it
accepts connections, then serves until killed.

With USER and PASSWORD, the server offers AUTH (PLAIN, LOGIN) without TLS,
requires it, accepts only that login, and writes NNNN.auth (the login used).

usage: python3 smtp_sink.py HOST PORT DIR [USER PASSWORD]
"""

import os
import sys
import threading
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0
        self.lock = threading.Lock()

    def _write(self, name, data):
        tmp = os.path.join(self.directory, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, os.path.join(self.directory, name))

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        stem = "%04d" % n
        if session.auth_data is not None:
            login = session.auth_data.login if isinstance(session.auth_data, LoginPassword) else b""
            self._write(stem + ".auth", login)
        self._write(stem + ".helo", (session.host_name or "").encode())
        self._write(stem + ".from", (envelope.mail_from or "").encode())
        self._write(stem + ".rcpt", "".join(r + "\n" for r in envelope.rcpt_tos).encode())
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode()
        # Written last: its presence means the message is complete.
        self._write(stem + ".eml", content)
        return "250 Message accepted for delivery"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    return check


def main():
    # Plain-text AUTH on loopback is what the test wants.
    warnings.simplefilter("ignore")
    host, port, directory = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    options = {}
    if len(sys.argv) == 6:
        options = dict(
            authenticator=authenticator(sys.argv[4], sys.argv[5]),
            auth_required=True,
            auth_require_tls=False,
        )
    controller = Controller(Sink(directory), hostname=host, port=port, **options)
    controller.start()
    print("ready", flush=True)
    try:
        threading.Event().wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
