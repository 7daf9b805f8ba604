#!/usr/bin/env python3
"""parse_score.py - score `parse --json` output against the corpus labels.

usage: parse_score.py LABELS.tsv CORPUS_DIR OUTPUT.jsonl [-v]
Prints recipient recall, reason and hard/soft agreement the way issue 4
defines them (status compared except Sisimai's invented x.0.9xx codes);
-v lists every disagreement.  A diagnostic aid beside tests/unit/t_corpus.c.
"""
import json, sys, collections

labels, corpus, out = sys.argv[1:4]
verbose = '-v' in sys.argv
lab = collections.OrderedDict()
empty = set()
for i, line in enumerate(open(labels, encoding='utf-8')):
    if i == 0:
        continue
    f = line.rstrip('\n').split('\t')
    if not f[1]:
        empty.add(f[0])
        continue
    lab.setdefault((f[0], f[1]), f)
got = {}
files_got = collections.defaultdict(list)
for line in open(out, encoding='utf-8'):
    o = json.loads(line)
    fn = o['file']
    if fn.startswith(corpus):
        fn = fn[len(corpus):].lstrip('/')
    got.setdefault((fn, o['recipient']), o)
    files_got[fn].append(o)
found = sum(1 for k in lab if k in got)
reason = hard = status_n = status_ok = 0
bad = collections.Counter()
for k, f in lab.items():
    o = got.get(k)
    if not o:
        if verbose:
            print('MISS', k[0], k[1], 'got:', [x['recipient'] for x in files_got.get(k[0], [])])
        continue
    if o['reason'] == f[5]:
        reason += 1
    else:
        bad[(f[5], o['reason'])] += 1
        if verbose:
            print('REASON', k[0], k[1], 'want', f[5], 'got', o['reason'], '|', o['status'], o['diagnostic'][:150])
    if (o['hard'] and 1 or 0) == int(f[6]):
        hard += 1
    st = f[3]
    if st and '.0.9' not in st:
        status_n += 1
        status_ok += o['status'] == st
n = len(lab)
extra = [(fn, len(v)) for fn, v in files_got.items() if fn in empty]
notf = [x for x in files_got if x.startswith('maildir/not/')]
prec_files = set(k[0] for k in lab)
fp = sum(1 for k in got if k[0] in prec_files and k not in lab and k[1] != '')  # '': a complaint naming nobody
print('rows %d  recall %.4f  reason %.4f  hard %.4f  status %.4f (%d)  extra-rcpt-in-labelled %d' % (
    n, found / n, reason / n, hard / n, status_ok / max(status_n, 1), status_n, fp))
print('not/ reported:', notf)
print('unlabelled files with recipients:', len(extra), 'dragonfly', sum(1 for f, c in extra if 'dragonfly' in f), 'mimecast', sum(1 for f, c in extra if 'mimecast' in f))
for (w, g), c in bad.most_common(25):
    print('  want %-16s got %-16s %d' % (w, g, c))
