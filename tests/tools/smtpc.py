#!/usr/bin/env python3
"""smtpc.py - a small SMTP client for notifilter's MTA tests (stdlib only).

Sends one message to 127.0.0.1:PORT and prints every server answer, one per
line, so that shell tests can grep them:

    MAIL <code> <text>
    RCPT <address> <code> <text>
    DATA <code> <text>
    QUEUED <queue id>          (when the DATA answer says "queued as ID")

usage: smtpc.py [options] PORT FROM [RCPT...]
  -r FILE      read more recipients from FILE, one per line
  -s SUBJECT   Subject header (default "test")
  -H 'N: V'    extra header, repeatable
  -b TEXT      body text (default "notification body")
  -q           do not print the RCPT lines, print "RCPTSUM <code> <count>"
               per reply code instead (for 1,000-recipient messages)
  -t SECONDS   timeout for every command (default 30)
A FROM of "<>" or "" sends the null sender.  Each RCPT argument may carry
ESMTP parameters after a space ('a@b NOTIFY=SUCCESS').

Exit: 0 the message was queued; 1 it was not (every RCPT refused or DATA
refused: the answers say why); 2 the server could not be reached or broke
the dialogue.
"""
import argparse
import collections
import re
import smtplib
import socket
import sys


def main():
    ap = argparse.ArgumentParser(add_help=True)
    ap.add_argument('-r', dest='rfile')
    ap.add_argument('-s', dest='subject', default='test')
    ap.add_argument('-H', dest='headers', action='append', default=[])
    ap.add_argument('-b', dest='body', default='notification body')
    ap.add_argument('-q', dest='quiet', action='store_true')
    ap.add_argument('-t', dest='timeout', type=float, default=30.0)
    ap.add_argument('port', type=int)
    ap.add_argument('sender')
    ap.add_argument('rcpts', nargs='*')
    a = ap.parse_args()

    rcpts = list(a.rcpts)
    if a.rfile:
        with open(a.rfile, encoding='utf-8') as f:
            rcpts += [line.strip() for line in f if line.strip()]
    if not rcpts:
        print('smtpc.py: no recipients given', file=sys.stderr)
        return 2
    sender = '' if a.sender in ('<>', '') else a.sender

    try:
        s = smtplib.SMTP('127.0.0.1', a.port, local_hostname='client.example.test',
                         timeout=a.timeout)
    except (OSError, smtplib.SMTPException) as e:
        print('CONNECT failed: %s (is something listening on 127.0.0.1:%d?)'
              % (e, a.port), file=sys.stderr)
        return 2
    try:
        s.ehlo('client.example.test')
        code, text = s.mail(sender)
        print('MAIL', code, text.decode('utf-8', 'replace'))
        if code // 100 != 2:
            s.quit()
            return 1
        accepted = 0
        summary = collections.Counter()
        for r in rcpts:
            parts = r.split()
            code, text = s.rcpt(parts[0], parts[1:])
            if a.quiet:
                summary[code] += 1
            else:
                print('RCPT', parts[0], code, text.decode('utf-8', 'replace'))
            accepted += code // 100 == 2
        for code in sorted(summary):
            print('RCPTSUM', code, summary[code])
        if not accepted:
            s.quit()
            return 1
        hdrs = ['From: %s' % (sender or 'MAILER-DAEMON'),
                'To: %s' % rcpts[0].split()[0],
                'Subject: %s' % a.subject] + a.headers
        msg = '\r\n'.join(hdrs) + '\r\n\r\n' + a.body + '\r\n'
        try:
            code, text = s.data(msg.encode('utf-8'))
        except smtplib.SMTPDataError as e:
            code, text = e.smtp_code, e.smtp_error
        text = text.decode('utf-8', 'replace') if isinstance(text, bytes) else str(text)
        print('DATA', code, text)
        m = re.search(r'queued as ([0-9A-Za-z]+)', text)
        if m:
            print('QUEUED', m.group(1))
        try:
            s.quit()
        except (OSError, smtplib.SMTPException):
            pass
        return 0 if code == 250 else 1
    except (OSError, socket.timeout, smtplib.SMTPException) as e:
        print('DIALOGUE broken: %s' % e, file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
