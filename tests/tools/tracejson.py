#!/usr/bin/env python3
"""tracejson.py - flatten `notifilterctl trace --json` for shell tests.

usage: notifilterctl trace KEY --json | tracejson.py [-m | -r] [FIELD...]

The trace is one object (ctl/cmd_trace.c): "messages", each with its
"events" and "recipients", and "events" tied to no message.  Prints one line
per event (the messages' events in the order given, then the loose ones),
or with -m one line per message, or with -r one line per recipient of every
message (its "token" is added to each).  The FIELDs (default for events:
kind address token outcome rule detail; -m: token verp subject category;
-r: token address outcome verdict) are joined by '|'.  A field that is an
object or a list prints as compact JSON; a missing or null one as empty; a
dotted FIELD ("contact.email") looks inside objects.  A bare array of
events or JSON Lines are accepted too, as events.

Exit 0 when stdin parsed as described; 1 (with the parser's message and
the first bytes of the input) otherwise, so a test of "trace --json
parses" fails with a reason.
"""
import json
import re
import sys


def parse(text):
    text = text.strip()
    if not text:
        raise ValueError('empty output')
    try:
        return json.loads(text)
    except json.JSONDecodeError as whole_err:
        doc = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                doc.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ValueError('not JSON (%s) nor JSON Lines (line %d: %s)'
                                 % (whole_err, n, e)) from None
        return doc


def objects(what, lst):
    if not isinstance(lst, list):
        raise ValueError('%s is %s, not an array' % (what, type(lst).__name__))
    for i, e in enumerate(lst):
        if not isinstance(e, dict):
            raise ValueError('%s[%d] is %s, not an object' % (what, i, type(e).__name__))
    return lst


def rows(doc, mode):
    if isinstance(doc, list):
        if mode != 'events':
            raise ValueError('a bare array has no messages')
        return objects('top level', doc)
    if not isinstance(doc, dict):
        raise ValueError('top level is %s, not an object' % type(doc).__name__)
    msgs = objects('messages', doc.get('messages', []))
    if mode == 'messages':
        return msgs
    out = []
    for i, m in enumerate(msgs):
        if mode == 'recipients':
            for r in objects('messages[%d].recipients' % i, m.get('recipients', [])):
                r = dict(r)
                r.setdefault('token', m.get('token'))
                out.append(r)
        else:
            out += objects('messages[%d].events' % i, m.get('events', []))
    if mode == 'events':
        out += objects('events', doc.get('events', []))
    return out


def field(ev, name):
    cur = ev
    parts = name.split('.')
    for i, p in enumerate(parts):
        if isinstance(cur, dict) and p in cur:
            cur = cur[p]
        elif isinstance(cur, str) and i == len(parts) - 1:
            m = re.search(r'(?:^|[\s;,])' + re.escape(p) + r'=(\S*)', cur)
            return m.group(1).rstrip(',;') if m else ''
        else:
            return ''
    if cur is None:
        return ''
    if isinstance(cur, (dict, list)):
        return json.dumps(cur, separators=(',', ':'), sort_keys=True)
    return str(cur).replace('\n', ' ')


DEFAULTS = {
    'events': ['kind', 'address', 'token', 'outcome', 'rule', 'detail'],
    'messages': ['token', 'verp', 'subject', 'category'],
    'recipients': ['token', 'address', 'outcome', 'verdict'],
}


def main():
    args = sys.argv[1:]
    mode = 'events'
    if args and args[0] in ('-m', '-r'):
        mode = 'messages' if args[0] == '-m' else 'recipients'
        args = args[1:]
    fields = args or DEFAULTS[mode]
    text = sys.stdin.read()
    try:
        out = rows(parse(text), mode)
    except ValueError as e:
        print('tracejson.py: %s; input starts: %r' % (e, text[:200]), file=sys.stderr)
        return 1
    for r in out:
        print('|'.join(field(r, f) for f in fields))
    return 0


if __name__ == '__main__':
    sys.exit(main())
